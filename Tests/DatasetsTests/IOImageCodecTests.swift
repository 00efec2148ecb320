// PNG/JPEG decoding against fixtures with known pixel values, PNG encoding round trips,
// and corrupt files as thrown errors that name the file.
// Fixtures: Tests/Fixtures/make_dataset_io_fixtures.py -> Tests/DatasetsTests/Fixtures/.

import Foundation
import Testing
@testable import Datasets

/// Paths and helpers shared by the IO*Tests files.
enum IOFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let images = directory.appendingPathComponent("images")

    struct ImageExpectation: Decodable {
        var channels: Int
        var height: Int
        var width: Int
        /// Channels-first 8-bit values.
        var values: [Int]
        /// Allowed difference in 8-bit levels.
        var tolerance: Int
        /// For JPEGs: the values the fixture script encoded.
        var source_values: [Int]?
    }

    static func imageExpectations() throws -> [String: ImageExpectation] {
        try JSONDecoder().decode([String: ImageExpectation].self,
                                 from: Data(contentsOf: directory.appendingPathComponent("image_fixtures.json")))
    }

    /// A fresh empty directory under the system temporary directory.
    static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedvlm-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// An image whose values are multiples of 1/255 (exact through 8-bit PNG).
    static func levelsImage(channels: Int, height: Int, width: Int, seed: Int) -> Image {
        let count = channels * height * width
        return Image(channels: channels, height: height, width: width,
                     pixels: (0..<count).map { Float(($0 * 37 + seed * 11) % 256) / 255 })
    }
}

@Suite("Image codecs")
struct IOImageCodecTests {
    @Test("every PNG variant decodes to the known values",
          arguments: ["gray8.png", "gray_alpha8.png", "rgb8.png", "rgba8.png", "palette.png",
                      "gray16.png", "rgba16.png", "gray1.png", "rgb8_interlaced.png"])
    func decodesPNG(name: String) throws {
        let expected = try #require(try IOFixtures.imageExpectations()[name])
        let image = try ImageCodec.decode(contentsOf: IOFixtures.images.appendingPathComponent(name))
        #expect(image.channels == expected.channels)
        #expect(image.height == expected.height)
        #expect(image.width == expected.width)
        let levels = image.pixels.map { Int(($0 * 255).rounded()) }
        #expect(levels == expected.values)
        // Decoded floats are exactly level / 255.
        #expect(image.pixels.allSatisfy { ($0 * 255).rounded() / 255 == $0 })
    }

    @Test("gray and RGB JPEGs decode like Pillow and close to the encoded values",
          arguments: ["gray.jpg", "rgb.jpg"])
    func decodesJPEG(name: String) throws {
        let expected = try #require(try IOFixtures.imageExpectations()[name])
        let image = try ImageCodec.decode(contentsOf: IOFixtures.images.appendingPathComponent(name))
        #expect(image.channels == expected.channels)
        #expect(image.height == expected.height && image.width == expected.width)
        let levels = image.pixels.map { Int(($0 * 255).rounded()) }
        let worstAgainstPillow = zip(levels, expected.values).map { abs($0 - $1) }.max() ?? .max
        #expect(worstAgainstPillow <= expected.tolerance)
        let source = try #require(expected.source_values)
        let worstAgainstSource = zip(levels, source).map { abs($0 - $1) }.max() ?? .max
        #expect(worstAgainstSource <= 3, "quality-95 JPEG of flat 8x8 blocks drifted \(worstAgainstSource) levels")
    }

    @Test("corrupt, truncated and non-image files throw errors naming the file",
          arguments: ["bad_truncated.png", "bad_crc.png", "bad_truncated.jpg", "bad_not_an_image.png"])
    func corruptFilesThrow(name: String) throws {
        let url = IOFixtures.images.appendingPathComponent(name)
        do {
            _ = try ImageCodec.decode(contentsOf: url)
            Issue.record("\(name) decoded without an error")
        } catch let error as ImageCodecError {
            #expect(error.description.contains(url.path), "\(error)")
            if name.hasSuffix(".jpg") { #expect(error.description.contains("JPEG")) }
            if name == "bad_not_an_image.png" { #expect(error == .unknownFormat(file: url.path)) }
        }
    }

    @Test("a JPEG with a recoverable warning (extraneous bytes before a marker) still decodes, as in PIL")
    func recoverableJPEGWarning() throws {
        let clean = try Data(contentsOf: IOFixtures.images.appendingPathComponent("rgb.jpg"))
        // Insert two stray bytes before the end-of-image marker FF D9.
        #expect(clean.suffix(2) == Data([0xFF, 0xD9]))
        let damaged = clean.prefix(clean.count - 2) + Data([0x12, 0x34, 0xFF, 0xD9])
        #expect(try ImageCodec.decode(damaged, name: "damaged.jpg") == ImageCodec.decode(clean, name: "rgb.jpg"))
    }

    @Test("a missing file is an unreadable error naming it")
    func missingFile() throws {
        let url = IOFixtures.images.appendingPathComponent("no_such_file.png")
        #expect(throws: ImageCodecError.self) { try ImageCodec.decode(contentsOf: url) }
        do {
            _ = try ImageCodec.decode(contentsOf: url)
        } catch {
            #expect("\(error)".contains("no_such_file.png"))
        }
    }

    @Test("every prefix of a PNG and a JPEG fails cleanly or decodes, never crashes")
    func truncationsNeverCrash() throws {
        for name in ["rgb8_interlaced.png", "rgb.jpg"] {
            let data = try Data(contentsOf: IOFixtures.images.appendingPathComponent(name))
            var failures = 0
            for length in stride(from: 0, to: data.count, by: 7) {
                do {
                    _ = try ImageCodec.decode(data.prefix(length), name: "\(name)[..<\(length)]")
                } catch let error as ImageCodecError {
                    failures += 1
                    #expect(error.description.hasPrefix("\(name)[..<\(length)]"))
                }
            }
            #expect(failures > 0)
        }
    }

    @Test("PNG encoding round-trips gray and RGB images exactly", arguments: [1, 3])
    func pngRoundTrip(channels: Int) throws {
        let image = IOFixtures.levelsImage(channels: channels, height: 5, width: 7, seed: channels)
        let data = try ImageCodec.encodePNG(image)
        #expect(ImageFileFormat(signatureOf: data) == .png)
        #expect(try ImageCodec.decode(data, name: "roundtrip") == image)
    }

    @Test("PNG encoding clamps and rounds to 256 levels")
    func pngQuantisation() throws {
        let image = Image(channels: 1, height: 1, width: 4, pixels: [-0.5, 0.5, 1.5, 0.1])
        let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(image), name: "levels")
        #expect(decoded.pixels == [0, 128 / 255, 1, 26 / 255])
    }

    @Test("writePNG writes a file that decodes to the same image")
    func writeFile() throws {
        let directory = try IOFixtures.temporaryDirectory("png")
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = IOFixtures.levelsImage(channels: 3, height: 4, width: 3, seed: 9)
        let url = directory.appendingPathComponent("out.png")
        try ImageCodec.writePNG(image, to: url)
        #expect(try ImageCodec.decode(contentsOf: url) == image)
    }
}
