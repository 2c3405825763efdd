import CLIP
import Foundation
import FuzzSupport
import ModelIO

/// Any bytes as a checkpoint's tokenizer files: `vocab.json`, a NUL, then
/// `merges.txt`. A vocabulary that loads must tokenize a phrase to ids inside it.
runFuzzer { data, size in
  let (vocab, merges) = FuzzInput(data, size).split(at: 0)
  FuzzInput.write(vocab, named: "vocab.json")
  FuzzInput.write(merges, named: "merges.txt")
  guard let vocabulary = try? BPEVocabulary(directory: FuzzInput.scratch) else { return 0 }
  let ids = Tokenizer(vocabulary: vocabulary).encode("a person falls off a ladder!")
  let known = Set(vocabulary.tokens.values)
  precondition(ids.allSatisfy { known.contains($0) }, "token id outside the vocabulary")
  return 0
}
