import Core
import Testing

@Suite struct FrameTests {
  @Test func pixelsAreRowMajorRGB() {
    // 2×2: red, green / blue, white
    let pixels: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]
    let frame = Frame(pts: 1.5, width: 2, height: 2, pixels: pixels, sourceWidth: 640, sourceHeight: 480)
    #expect(frame.rgb(x: 1, y: 0) == (0, 255, 0))
    #expect(frame.rgb(x: 0, y: 1) == (0, 0, 255))
    #expect(frame.pts == 1.5 && frame.sourceWidth == 640)
  }

  /// Other suites run in the same process at the same time and free memory
  /// of their own, so the growth is checked with a wide margin (a 64 MB block
  /// once read as 57 MB of growth): 256 MB touched must show as over 128 MB.
  @Test func residentMemoryIsReadFromProc() {
    let before = ResidentMemory.bytes()
    var block = [UInt8](repeating: 1, count: 256 << 20)
    block[block.count - 1] = 2
    let after = ResidentMemory.bytes()
    #expect(before > 1 << 20)
    #expect(after - before > 128 << 20, "grew by \(after - before) bytes")
    #expect(block.last == 2)
  }
}
