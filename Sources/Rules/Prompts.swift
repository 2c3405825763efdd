/// Prompt ensembles (CLIP's zero-shot recipe): each phrasing is embedded in
/// several templates and the embeddings averaged; generic background scenes
/// give the calibration something to lose against when nothing happens.
/// Part of a rule's score, so it lives with the calibration (`CalibratedScore`).
public enum Prompts {
  public static let templates = [
    "{}", "a photo of {}", "a security camera image of {}", "a video frame showing {}",
  ]

  public static let backgrounds = [
    "an empty room", "an empty street", "a quiet scene where nothing happens", "a blurry photo",
    "a dark photo at night",
    "a plain wall",
  ]

  public static func expand(_ phrase: String) -> [String] {
    templates.map { $0.replacing("{}", with: phrase) }
  }
}
