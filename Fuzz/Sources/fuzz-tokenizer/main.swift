import CLIP
import FuzzSupport

/// Any bytes as rule text, tokenized with OpenAI's CLIP vocabulary (the
/// committed test fixture): always the context length, start and end tokens
/// in place, whatever the Unicode.
let tokenizer: Tokenizer = {
  do { return try Tokenizer(directory: FuzzInput.repository() + "/Tests/Fixtures/clip/tokenizer") } catch {
    fatalError("\(error)")
  }
}()

runFuzzer { data, size in
  let ids = tokenizer.encode(FuzzInput(data, size).text)
  precondition(ids.count == tokenizer.contextLength && ids.first == tokenizer.startID)
  precondition(ids.contains(tokenizer.endID))
  return 0
}
