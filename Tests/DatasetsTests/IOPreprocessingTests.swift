// Pad-to-square, resizing (against Pillow's float resizes) and gray -> RGB.

import Foundation
import Testing
@testable import Datasets

@Suite("Image preprocessing")
struct IOPreprocessingTests {
    struct ResizeFixtures: Decodable {
        struct Case: Decodable {
            var filter: String
            var height: Int
            var width: Int
            var values: [Float]
        }
        var height: Int
        var width: Int
        var values: [Float]
        var cases: [Case]
    }

    @Test("bilinear and bicubic resizes match Pillow's mode-F resize")
    func resizeMatchesPillow() throws {
        let fixtures = try JSONDecoder().decode(
            ResizeFixtures.self, from: Data(contentsOf: IOFixtures.directory.appendingPathComponent("resize_fixtures.json")))
        let source = Image(channels: 1, height: fixtures.height, width: fixtures.width, pixels: fixtures.values)
        #expect(fixtures.cases.count == 6)
        for testCase in fixtures.cases {
            let filter = try #require(ResizeFilter(rawValue: testCase.filter))
            let result = ImagePreprocessing.resized(source, height: testCase.height, width: testCase.width, filter: filter)
            #expect(result.height == testCase.height && result.width == testCase.width)
            // Pillow's float path does not clamp; ours clamps to [0, 1].
            let expected = testCase.values.map { min(max($0, 0), 1) }
            let worst = zip(result.pixels, expected).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst < 1e-5, "\(testCase.filter) \(testCase.height)x\(testCase.width): max error \(worst)")
        }
    }

    @Test("resizing a constant image keeps it constant, and same-size resize is the identity")
    func resizeInvariants() {
        let flat = Image(channels: 3, height: 6, width: 10, fill: 0.3)
        for filter in ResizeFilter.allCases {
            let result = ImagePreprocessing.resized(flat, height: 4, width: 4, filter: filter)
            #expect(result.pixels.allSatisfy { abs($0 - 0.3) < 1e-6 })
        }
        let image = IOFixtures.levelsImage(channels: 1, height: 3, width: 5, seed: 2)
        #expect(ImagePreprocessing.resized(image, height: 3, width: 5) == image)
    }

    @Test("padding centres a wide RGB image and fills with the colour, as expand2square does")
    func padWide() {
        // [3, 2, 4] -> [3, 4, 4]; offset (4 - 2) / 2 = 1 row on top.
        let image = IOFixtures.levelsImage(channels: 3, height: 2, width: 4, seed: 1)
        let colour = RGBColour(red: 0.1, green: 0.2, blue: 0.3)
        let square = ImagePreprocessing.paddedToSquare(image, colour: colour)
        #expect(square.height == 4 && square.width == 4 && square.channels == 3)
        for channel in 0..<3 {
            let fill: Float = [0.1, 0.2, 0.3][channel]
            for x in 0..<4 {
                #expect(square[channel, 0, x] == fill)
                #expect(square[channel, 3, x] == fill)
                #expect(square[channel, 1, x] == image[channel, 0, x])
                #expect(square[channel, 2, x] == image[channel, 1, x])
            }
        }
    }

    @Test("padding a tall image with an odd difference rounds the offset down")
    func padTallOdd() {
        // [1, 5, 2] -> [1, 5, 5]; left offset (5 - 2) / 2 = 1, so columns 1 and 2 hold the image.
        let image = IOFixtures.levelsImage(channels: 1, height: 5, width: 2, seed: 3)
        let colour = ImagePreprocessing.llavaPadColour
        let square = ImagePreprocessing.paddedToSquare(image, colour: colour)
        #expect(square.width == 5 && square.height == 5)
        for y in 0..<5 {
            #expect(square[0, y, 0] == colour.luma)
            #expect(square[0, y, 1] == image[0, y, 0])
            #expect(square[0, y, 2] == image[0, y, 1])
            #expect(square[0, y, 3] == colour.luma && square[0, y, 4] == colour.luma)
        }
    }

    @Test("gray -> RGB repeats the channel; LLaVA preprocessing gives [3, size, size]")
    func grayToRGBAndPipeline() {
        let gray = IOFixtures.levelsImage(channels: 1, height: 3, width: 12, seed: 4)
        let rgb = ImagePreprocessing.rgb(gray)
        #expect(rgb.channels == 3)
        let plane = gray.pixels.count
        for channel in 0..<3 { #expect(Array(rgb.pixels[(channel * plane)..<((channel + 1) * plane)]) == gray.pixels) }
        let processed = ImagePreprocessing.llavaPreprocess(gray, size: 8)
        #expect(processed.channels == 3 && processed.height == 8 && processed.width == 8)
        // Padded to 12x12 with rows 0-3 padding; shrinking 12 -> 8 (support 2 * 1.5 = 3 input
        // rows) makes output row 0 read input rows 0-3 only, so it is pure padding colour.
        #expect(abs(processed[0, 0, 3] - 122 / 255) < 1e-6)
        #expect(abs(processed[2, 0, 3] - 104 / 255) < 1e-6)
        #expect(processed.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test("the CLIP constants are the published values")
    func clipConstants() {
        #expect(ImagePreprocessing.clipMean == RGBColour(red: 0.48145466, green: 0.4578275, blue: 0.40821073))
        // LLaVA pads with int(mean * 255).
        #expect(ImagePreprocessing.llavaPadColour.red == Float(Int(0.48145466 * 255)) / 255)
        #expect(ImagePreprocessing.llavaPadColour.green == Float(Int(0.4578275 * 255)) / 255)
        #expect(ImagePreprocessing.llavaPadColour.blue == Float(Int(0.40821073 * 255)) / 255)
    }
}
