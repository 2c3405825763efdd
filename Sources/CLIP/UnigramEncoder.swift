import ModelIO

/// SentencePiece's unigram segmentation (`unigram_model.cc`, the optimised
/// Viterbi): over the normalised bytes, the path of pieces with the highest
/// total score; a character no piece covers costs the lowest score minus 10
/// as `<unk>`, and a run of unknown characters becomes one unknown piece (as
/// `PopulateSentencePieceText` merges them). Pieces are looked up by byte
/// string up to the longest piece: a text is a few hundred bytes at most.
struct UnigramEncoder: Sendable {
  private let ids: [[UInt8]: Int32]  // normal and user-defined pieces
  private let scores: [Float]  // by id
  private let userDefined: Set<Int32>
  private let longestPiece: Int
  private let unknownID: Int32
  private let unknownScore: Float
  private let highestScore: Float

  init(model: SentencePieceModel) {
    var ids: [[UInt8]: Int32] = [:]
    var userDefined: Set<Int32> = []
    var lowest = Float.greatestFiniteMagnitude
    // SentencePiece starts its maximum at FLT_MIN (the smallest positive float), so
    // with all-negative scores a user-defined piece scores length·FLT_MIN − 0.1.
    var highest = Float.leastNormalMagnitude
    for (index, piece) in model.pieces.enumerated() {
      let id = Int32(index)
      switch piece.type {
      case .normal:
        lowest = min(lowest, piece.score)
        highest = max(highest, piece.score)
        ids[Array(piece.text.utf8)] = ids[Array(piece.text.utf8)] ?? id
      case .userDefined:
        userDefined.insert(id)
        ids[Array(piece.text.utf8)] = ids[Array(piece.text.utf8)] ?? id
      default: break
      }
    }
    self.ids = ids
    self.userDefined = userDefined
    scores = model.pieces.map(\.score)
    longestPiece = ids.keys.map(\.count).max() ?? 1
    unknownID = model.unknownID
    unknownScore = (lowest == .greatestFiniteMagnitude ? 0 : lowest) - 10
    highestScore = highest
  }

  /// Pieces of `normalized` as (bytes, id), unknown runs merged.
  func encode(_ normalized: [UInt8]) -> [(bytes: ArraySlice<UInt8>, id: Int32)] {
    let size = normalized.count
    guard size > 0 else { return [] }
    // Best path ending at each byte position: its score, where its last piece starts, that piece's id.
    var score = [Float](repeating: 0, count: size + 1)
    var start = [Int](repeating: -1, count: size + 1)
    var id = [Int32](repeating: -1, count: size + 1)
    var position = 0
    while position < size {
      let scoreHere = score[position]
      let characterLength = min(SentencePieceNormalizer.characterLength(normalized[position]), size - position)
      var coversCharacter = false
      for length in 1...min(longestPiece, size - position) {
        guard let piece = ids[Array(normalized[position..<(position + length)])] else { continue }
        let end = position + length
        let candidate: Float
        if userDefined.contains(piece) {
          // A double in SentencePiece (length · max − 0.1), compared before it is stored as a float.
          let wide = Double(length) * Double(highestScore) - 0.1 + Double(scoreHere)
          guard start[end] == -1 || wide > Double(score[end]) else {
            if length == characterLength { coversCharacter = true }
            continue
          }
          candidate = Float(wide)
        } else {
          candidate = scores[Int(piece)] + scoreHere
          guard start[end] == -1 || candidate > score[end] else {
            if length == characterLength { coversCharacter = true }
            continue
          }
        }
        (score[end], start[end], id[end]) = (candidate, position, piece)
        if length == characterLength { coversCharacter = true }
      }
      if !coversCharacter {
        let end = position + characterLength
        let candidate = unknownScore + scoreHere
        if start[end] == -1 || candidate > score[end] {
          (score[end], start[end], id[end]) = (candidate, position, unknownID)
        }
      }
      position += characterLength
    }
    var pieces: [(bytes: ArraySlice<UInt8>, id: Int32)] = []
    var end = size
    while end > 0 {
      let begin = start[end]
      if id[end] == unknownID, let last = pieces.last, last.id == unknownID {
        pieces[pieces.count - 1].bytes = normalized[begin..<last.bytes.endIndex]
      } else {
        pieces.append((normalized[begin..<end], id[end]))
      }
      end = begin
    }
    return pieces.reversed()
  }
}
