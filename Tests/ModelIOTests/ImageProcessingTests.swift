import Core
import Foundation
import ModelIO
import TestSupport
import Testing

/// `preprocessor_config.json` → normalisation and picture geometry, as
/// transformers' CLIP and SigLIP image processors write it.
@Suite struct ImageProcessingTests {
  func processing(_ json: String?, imageSize: Int = 224) throws -> ImageProcessing {
    let path = try Repository.temporaryDirectory("preprocessor").appendingPathComponent("p.json").path
    if let json { try json.write(toFile: path, atomically: true, encoding: .utf8) }
    return try CLIPFiles.imageProcessing(path, imageSize: imageSize)
  }

  @Test func absentFileIsOpenAIsCLIP() throws {
    let processing = try processing(nil)
    #expect(processing.geometry == .clip(224) && processing.mean == CLIPFiles.openAIMean)
  }

  @Test func clipProcessorIsShortestSideAndCentreCrop() throws {
    let processing = try processing(
      """
      {"crop_size": {"height": 336, "width": 336}, "do_center_crop": true, "image_mean": [0.5, 0.5, 0.5],
       "image_std": [0.25, 0.25, 0.25], "resample": 3, "size": {"shortest_edge": 336}}
      """, imageSize: 336)
    #expect(processing.geometry == PictureGeometry(size: 336, resize: .shortestSideThenCentreCrop, filter: .bicubic))
    #expect(processing.mean == [0.5, 0.5, 0.5] && processing.std == [0.25, 0.25, 0.25])
    // Old transformers: sizes as plain integers.
    #expect(try self.processing(#"{"size": 224, "crop_size": 224}"#).geometry == .clip(224))
  }

  @Test func siglipProcessorSquashesWithoutCrop() throws {
    let processing = try processing(
      #"{"do_resize": true, "resample": 2, "size": {"height": 384, "width": 384}, "image_mean": [0.5, 0.5, 0.5]}"#,
      imageSize: 384)
    #expect(processing.geometry == PictureGeometry(size: 384, resize: .squash, filter: .bilinear))
  }

  @Test(arguments: [
    (#"{"size": {"shortest_edge": 256}, "crop_size": 224}"#, "size.shortest_edge is 256"),
    (#"{"size": {"shortest_edge": 224}, "crop_size": {"height": 240, "width": 240}}"#, "crop_size is 240"),
    (#"{"size": {"height": 224, "width": 256}}"#, "is not square"),
    (#"{"size": "big"}"#, "size is not a size"),
    (#"{"image_mean": [0.5]}"#, "image_mean must be 3 numbers"),
  ])
  func mismatchesAreNamed(json: String, message: String) throws {
    #expect {
      try processing(json)
    } throws: { error in
      "\(error)".contains(message)
    }
  }
}
