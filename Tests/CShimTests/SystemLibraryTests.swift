import CFFmpeg
import CMosquitto
import COpenBLAS
import Testing

/// The three system libraries link and their shims give FFmpeg's macro values.
@Suite struct SystemLibraryTests {
  @Test func ffmpegShimMatchesTheMacros() {
    #expect(cffmpeg_averror(11) == -11)  // AVERROR(EAGAIN)
    #expect(cffmpeg_error_eof() == -0x2046_4F45)  // -MKTAG('E','O','F',' ')
    #expect(cffmpeg_nopts_value() == Int64.min)
    var buffer = [CChar](repeating: 0, count: 64)
    let text = buffer.withUnsafeMutableBufferPointer {
      String(cString: cffmpeg_error_string(cffmpeg_error_eof(), $0.baseAddress, $0.count))
    }
    #expect(text == "End of file")
    #expect(avformat_version() >> 16 >= 59)
  }

  @Test func openBLASMultipliesMatrices() {
    let a: [Float] = [1, 2, 3, 4]  // 2×2 row-major
    let b: [Float] = [5, 6, 7, 8]
    var c = [Float](repeating: 0, count: 4)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1, a, 2, b, 2, 0, &c, 2)
    #expect(c == [19, 22, 43, 50])
  }

  @Test func mosquittoReportsItsVersion() {
    var major: Int32 = 0
    var minor: Int32 = 0
    var revision: Int32 = 0
    _ = mosquitto_lib_version(&major, &minor, &revision)
    #expect(major == 2)
  }
}
