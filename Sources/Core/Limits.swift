/// The bounds every input is checked against before anything is allocated
/// for it, in one place so they can be weighed against each other. Each
/// admits every real input an operator may bring (CLIP up to ViT-L/14-336,
/// SigLIP, cameras up to 16K panoramas) and stops what could only be damage
/// or an attack (a 32768×2 picture, 100,000 nested arrays).
public enum Limits {
  /// Model dimensions read from files (config.json, tensor shapes), checked
  /// before anything is sized by them. Generous for every real checkpoint:
  /// CLIP up to ViT-L/14-336 and bigG, SigLIP and SigLIP 2 (vocabularies up
  /// to 256k, widths up to 1152, 27 layers).
  public enum Model {
    /// Hidden, intermediate and projection widths.
    public static let width = 16_384
    public static let layers = 128
    public static let heads = 256
    /// Input picture side, and patches per side (tokens grow with its square).
    public static let imageSize = 1_024
    public static let patchesPerSide = 64
    public static let vocabulary = 1_048_576
    public static let contextLength = 1_024
    /// A tokenizer file (`spiece.model`, `tokenizer.json`): Gemma's 256k
    /// vocabulary in `tokenizer.json` is about 34 MB.
    public static let tokenizerFileBytes = 256 << 20
    /// Mamba: state size and conv kernel width.
    public static let state = 1_024
    public static let convolution = 64
  }

  /// Longest phrasing of a rule (text, negatives), in characters: the text
  /// encoders read at most a few dozen tokens, and tokenizing costs grow
  /// faster than the length.
  public static let phrasing = 1_000

  /// Largest configuration or rule file read, in bytes (a configuration
  /// with 8,000 cameras is about 1 MB; a rule file a few hundred bytes).
  public static let settingsFileBytes = 4 << 20

  /// Most regions one camera may define: each one in use costs an image
  /// embedding per frame, so more would only starve the cameras.
  public static let regionsPerCamera = 16

  /// Deepest nesting of arrays in a TOML file (rules and config need 2).
  public static let tomlNesting = 64

  /// Longest side of a decoded picture accepted from any source (16K video
  /// is 15360 wide); FFmpeg refuses larger pictures before decoding them.
  public static let pictureSide = 16_384
  /// Most pixels of a decoded picture (16384 × 8640, a 16K frame).
  public static let picturePixels = 16_384 * 8_640
  /// Most extreme aspect ratio (long side ÷ short side) accepted: 32:9
  /// panoramas and 16:1 line-scan strips pass; a 32768×2 picture does not,
  /// so the resized long side stays at most 16 × the model's input size.
  public static let pictureAspectRatio = 16

  /// Whether a decoded picture of this size may be converted (both sides
  /// positive, within `pictureSide`, `picturePixels` and `pictureAspectRatio`).
  public static func acceptsPicture(width: Int, height: Int) -> Bool {
    guard width > 0, height > 0, width <= pictureSide, height <= pictureSide else { return false }
    let long = max(width, height)
    let short = min(width, height)
    return width * height <= picturePixels && long <= short * pictureAspectRatio
  }

  /// What `acceptsPicture` admits, for error messages.
  public static var pictureBounds: String {
    "at most \(pictureSide) pixels a side, \(picturePixels / 1_000_000) megapixels and \(pictureAspectRatio):1"
  }
}
