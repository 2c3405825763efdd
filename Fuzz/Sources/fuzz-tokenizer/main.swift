import CLIP
import FuzzSupport

/// Any bytes as rule text, tokenized with OpenAI's CLIP vocabulary, SigLIP's
/// SentencePiece tokenizer and SigLIP 2's Gemma tokenizer (the committed test
/// fixtures): always the context length, start and end tokens in place,
/// whatever the Unicode.
let tokenizer: Tokenizer = {
  do { return try Tokenizer(directory: FuzzInput.repository() + "/Tests/Fixtures/clip/tokenizer") } catch {
    fatalError("\(error)")
  }
}()

let siglip: SigLIPTokenizer = {
  let path = FuzzInput.repository() + "/Tests/Fixtures/siglip/tokenizer/spiece.model"
  do { return try SigLIPTokenizer(path: path, contextLength: 64) } catch { fatalError("\(error)") }
}()

let gemma: GemmaTokenizer = {
  let directory = FuzzInput.repository() + "/Tests/Fixtures/siglip/gemma-tokenizer/siglip2"
  do { return try GemmaTokenizer(directory: directory, contextLength: 64) } catch { fatalError("\(error)") }
}()

runFuzzer { data, size in
  let text = FuzzInput(data, size).text
  let ids = tokenizer.encode(text)
  precondition(ids.count == tokenizer.contextLength && ids.first == tokenizer.startID)
  precondition(ids.contains(tokenizer.endID))
  let siglipIDs = siglip.encode(text)
  precondition(siglipIDs.count == siglip.contextLength && siglipIDs.contains(siglip.endID))
  precondition(gemma.encode(text).count == gemma.contextLength)
  return 0
}
