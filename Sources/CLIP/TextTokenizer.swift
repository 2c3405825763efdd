import ModelIO

/// The tokenizer of a model's family: what the model's text tower reads.
public enum TextTokenizer: Sendable {
  case clip(Tokenizer)
  case siglip(SigLIPTokenizer)
  case siglip2(GemmaTokenizer)

  /// The tokenizer for `vocabulary`'s files.
  public init(_ vocabulary: CLIPFiles.Vocabulary, contextLength: Int) throws(ModelError) {
    switch vocabulary {
    case .bytePairs(let pairs): self = .clip(Tokenizer(vocabulary: pairs, contextLength: contextLength))
    case .sentencePiece(let model, let path):
      self = .siglip(try SigLIPTokenizer(model: model, path: path, contextLength: contextLength))
    case .gemma(let files, let path):
      guard contextLength > files.prefixIDs.count + files.suffixIDs.count else {
        throw ModelError(file: path, "the context (\(contextLength)) cannot hold the template's tokens")
      }
      self = .siglip2(GemmaTokenizer(files: files, contextLength: contextLength))
    }
  }

  public var contextLength: Int {
    switch self {
    case .clip(let tokenizer): tokenizer.contextLength
    case .siglip(let tokenizer): tokenizer.contextLength
    case .siglip2(let tokenizer): tokenizer.contextLength
    }
  }

  /// Ids as the text tower takes them (CLIP's up to its end token matter; SigLIP's fill the context).
  public func encode(_ text: String) -> [Int32] {
    switch self {
    case .clip(let tokenizer): tokenizer.encode(text)
    case .siglip(let tokenizer): tokenizer.encode(text)
    case .siglip2(let tokenizer): tokenizer.encode(text)
    }
  }

  /// Whether `text` has more tokens than fit in the context (they are dropped).
  public func isTruncated(_ text: String) -> Bool {
    switch self {
    case .clip(let tokenizer): tokenizer.isTruncated(text)
    case .siglip(let tokenizer): tokenizer.isTruncated(text)
    case .siglip2(let tokenizer): tokenizer.isTruncated(text)
    }
  }
}
