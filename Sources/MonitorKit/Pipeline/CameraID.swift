/// A camera of the running configuration: its place among the enabled
/// cameras (what the frame queue and the stats are keyed by) and its name
/// (what operators and topics see).
public struct CameraID: Hashable, Sendable, CustomStringConvertible {
  public let index: Int
  public let name: String

  public init(index: Int, name: String) {
    self.index = index
    self.name = name
  }

  public var description: String { name }
}
