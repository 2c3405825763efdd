import Core
import Testing

@Suite struct PictureGeometryTests {
  typealias Rect = PictureGeometry.Rectangle

  /// CLIP: shortest side to N (the other floored, as transformers), centre N×N.
  @Test func clipResizesTheShortestSideAndCropsTheCentre() {
    let landscape = PictureGeometry.clip(224).plan(width: 640, height: 480)
    #expect(landscape.source == Rect(x: 0, y: 0, width: 640, height: 480))
    #expect(landscape.scaledWidth == 298 && landscape.scaledHeight == 224)
    #expect(landscape.output == Rect(x: 37, y: 0, width: 224, height: 224))
    let portrait = PictureGeometry.clip(224).plan(width: 480, height: 1000)
    #expect(portrait.scaledWidth == 224 && portrait.scaledHeight == 466)
    #expect(portrait.output == Rect(x: 0, y: 121, width: 224, height: 224))
  }

  /// SigLIP: both sides to N, nothing cropped, whatever the aspect ratio.
  @Test func squashKeepsTheWholePicture() {
    let plan = PictureGeometry(size: 384, resize: .squash).plan(width: 1920, height: 1080)
    #expect(plan.scaledWidth == 384 && plan.scaledHeight == 384)
    #expect(plan.output == Rect(x: 0, y: 0, width: 384, height: 384))
  }

  /// Snapshots: the long side fitted, aspect kept, even sides, never enlarged.
  @Test func fitShrinksToTheLongSideAndNeverEnlarges() {
    let snapshot = PictureGeometry(size: 640, resize: .fit)
    #expect(snapshot.plan(width: 1920, height: 1080).output == Rect(x: 0, y: 0, width: 640, height: 360))
    #expect(snapshot.plan(width: 1080, height: 1920).output == Rect(x: 0, y: 0, width: 360, height: 640))
    #expect(snapshot.plan(width: 320, height: 240).output == Rect(x: 0, y: 0, width: 320, height: 240))
    #expect(snapshot.plan(width: 641, height: 481).output == Rect(x: 0, y: 0, width: 640, height: 480))
  }

  /// A region is a rectangle of the full-resolution picture, on even pixels,
  /// that the model geometry then applies to.
  @Test func regionsCutTheFullResolutionPictureFirst() throws {
    let right = try #require(PictureGeometry.Region(x: 0.5, y: 0, width: 0.5, height: 0.5))
    let plan = PictureGeometry(size: 224, resize: .shortestSideThenCentreCrop, region: right)
      .plan(width: 1920, height: 1080)
    #expect(plan.source == Rect(x: 960, y: 0, width: 960, height: 540))
    #expect(plan.scaledWidth == 398 && plan.scaledHeight == 224)
    let odd = try #require(PictureGeometry.Region(x: 0.1, y: 0.1, width: 0.3, height: 0.3))
    let cut = PictureGeometry(size: 64, resize: .squash, region: odd).plan(width: 101, height: 77)
    #expect(cut.source.x % 2 == 0 && cut.source.y % 2 == 0 && cut.source.x + cut.source.width <= 101)
    #expect(PictureGeometry.Region(x: 0.6, y: 0, width: 0.5, height: 1) == nil)
    #expect(PictureGeometry.Region(x: 0, y: 0, width: 0, height: 1) == nil)
    #expect(PictureGeometry.Region(x: .nan, y: 0, width: 1, height: 1) == nil)
  }

  /// A camera region for a centre-cropping model keeps all of itself: the long
  /// side to N, the short one scaled alike and centred on a pad-coloured square
  /// (the output reaches past the scaled picture by the padding); a squashing
  /// model squashes the region as it squashes frames.
  @Test func regionsArePaddedToASquareNotCropped() throws {
    let wide = try #require(PictureGeometry.Region(x: 0, y: 0.5, width: 1, height: 0.25))
    let cut = PictureGeometry.clip(64).cutting(wide, pad: [122, 116, 104])
    #expect(cut.resize == .padToSquare && cut.pad == [122, 116, 104] && cut.region == wide)
    let plan = cut.plan(width: 1920, height: 1080)
    #expect(plan.source == Rect(x: 0, y: 540, width: 1920, height: 270))
    #expect(plan.scaledWidth == 64 && plan.scaledHeight == 9)
    #expect(plan.output == Rect(x: 0, y: -27, width: 64, height: 64))
    let tall = PictureGeometry(size: 64, resize: .padToSquare).plan(width: 100, height: 400)
    #expect(
      tall.scaledWidth == 16 && tall.scaledHeight == 64 && tall.output == Rect(x: -24, y: 0, width: 64, height: 64))
    let small = PictureGeometry(size: 64, resize: .padToSquare).plan(width: 20, height: 20)
    #expect(small.scaledWidth == 64 && small.output == Rect(x: 0, y: 0, width: 64, height: 64))
    #expect(PictureGeometry(size: 64, resize: .squash).cutting(wide, pad: [0, 0, 0]).resize == .squash)
  }
}
