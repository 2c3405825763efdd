import CLIP
import Foundation
import FuzzSupport
import ModelIO

/// Any bytes as SigLIP 2's tokenizer files: `tokenizer.json`, a NUL, then
/// `tokenizer_config.json`. Files that load must tokenize any phrase to the
/// context length with ids from the files.
runFuzzer { data, size in
  let (json, config) = FuzzInput(data, size).split(at: 0)
  FuzzInput.write(json, named: "tokenizer.json")
  FuzzInput.write(config, named: "tokenizer_config.json")
  guard let files = try? GemmaTokenizerFiles(directory: FuzzInput.scratch),
    files.prefixIDs.count + files.suffixIDs.count < 16
  else { return 0 }
  let tokenizer = GemmaTokenizer(files: files, contextLength: 16)
  let known = Set(files.vocabulary.values).union(files.addedTokens.map(\.id)).union([files.padID])
  for text in ["a person falls", "  ÅB ① <eos> x<unk>", "東京 ΟΔΟΣ 😀", ""] {
    let ids = tokenizer.encode(text)
    precondition(ids.count == 16 && ids.allSatisfy { known.contains($0) }, "ids outside the files")
  }
  return 0
}
