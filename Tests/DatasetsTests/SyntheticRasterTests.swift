// The rasteriser: coverage of each shape against exact areas, bounds against drawn pixels.

import Foundation
import Testing
@testable import Datasets

@Suite struct SyntheticRasterTests {
    let white = RGBColour(red: 1, green: 1, blue: 1)
    let black = RGBColour(red: 0, green: 0, blue: 0)

    /// Pixel extent (min x, min y, max x, max y) of coverage >= `threshold`.
    func extent(_ mask: [Float], size: Int, threshold: Float = 0.5) -> (Int, Int, Int, Int)? {
        var result: (Int, Int, Int, Int)?
        for y in 0..<size {
            for x in 0..<size where mask[y * size + x] >= threshold {
                result = result.map { (min($0.0, x), min($0.1, y), max($0.2, x), max($0.3, y)) } ?? (x, y, x, y)
            }
        }
        return result
    }

    @Test func axisAlignedBoxCoversExactlyItsPixels() {
        let canvas = SyntheticCanvas(size: 8, background: black)
        let mask = canvas.coverage(of: .box(x: 0.25, y: 0.25, width: 0.5, height: 0.5))
        for y in 0..<8 {
            for x in 0..<8 {
                let inside = (2...5).contains(x) && (2...5).contains(y)
                #expect(mask[y * 8 + x] == (inside ? 1 : 0), "pixel (\(x), \(y))")
            }
        }
    }

    @Test func coverageSumsToTheShapeArea() {
        let size = 64
        let canvas = SyntheticCanvas(size: size, background: black)
        let pixelArea = Double(size * size)
        let cases: [(SyntheticShape, Double)] = [
            (.circle(center: SyntheticPoint(0.5, 0.5), radius: 0.3), Double.pi * 0.09),
            (.ellipse(center: SyntheticPoint(0.45, 0.5), radiusX: 0.35, radiusY: 0.15, rotation: 0.7), Double.pi * 0.35 * 0.15),
            (.rectangle(center: SyntheticPoint(0.5, 0.5), width: 0.4, height: 0.2, rotation: 0.4), 0.08),
            (.polygon([SyntheticPoint(0.1, 0.9), SyntheticPoint(0.5, 0.1), SyntheticPoint(0.9, 0.9)]), 0.32),
            (.segment(from: SyntheticPoint(0.2, 0.3), to: SyntheticPoint(0.8, 0.6), thickness: 0.1),
             0.1 * (0.36 + 0.09).squareRoot() + Double.pi * 0.0025),
        ]
        for (shape, area) in cases {
            let covered = Double(canvas.coverage(of: shape).reduce(0, +)) / pixelArea
            #expect(abs(covered - area) / area < 0.03, "\(shape): covered \(covered), exact \(area)")
        }
    }

    @Test func boundsMatchTheRasterisedExtent() throws {
        let size = 64
        let canvas = SyntheticCanvas(size: size, background: black)
        let shapes: [SyntheticShape] = [
            .ellipse(center: SyntheticPoint(0.4, 0.55), radiusX: 0.3, radiusY: 0.12, rotation: 0.9),
            .rectangle(center: SyntheticPoint(0.5, 0.45), width: 0.5, height: 0.2, rotation: -0.5),
            .polygon([SyntheticPoint(0.2, 0.2), SyntheticPoint(0.7, 0.3), SyntheticPoint(0.4, 0.8)]),
            .segment(from: SyntheticPoint(0.1, 0.7), to: SyntheticPoint(0.8, 0.2), thickness: 0.06),
        ]
        for shape in shapes {
            let box = shape.bounds
            let (x0, y0, x1, y1) = try #require(extent(canvas.coverage(of: shape), size: size))
            // Pixel x is covered >= 0.5 when its centre x + 0.5 lies within the shape, so the extent
            // is the box rounded to pixel centres, give or take a pixel at pointed corners.
            #expect(abs(Double(x0) + 0.5 - box.x * Double(size)) <= 1.5, "\(shape) left")
            #expect(abs(Double(y0) + 0.5 - box.y * Double(size)) <= 1.5, "\(shape) top")
            #expect(abs(Double(x1) + 0.5 - (box.x + box.width) * Double(size)) <= 1.5, "\(shape) right")
            #expect(abs(Double(y1) + 0.5 - (box.y + box.height) * Double(size)) <= 1.5, "\(shape) bottom")
        }
    }

    @Test func sketchBoundsFollowItsTransform() throws {
        var sketch = SyntheticSketch()
        sketch.fill(.box(x: -0.5, y: -0.5, width: 1, height: 0.4), white)
        sketch.stroke(.circle(center: SyntheticPoint(0, 0.2), radius: 0.25), white, lineWidth: 0.1)
        let transform = SyntheticTransform(scale: 0.4, rotation: 0.3, translation: SyntheticPoint(0.55, 0.5))
        var canvas = SyntheticCanvas(size: 64, background: black)
        let box = sketch.draw(on: &canvas, transform: transform)
        let lit = (0..<(64 * 64)).map { canvas.value(channel: 0, x: $0 % 64, y: $0 / 64) }
        let (x0, y0, x1, y1) = try #require(extent(lit, size: 64))
        #expect(abs(Double(x0) + 0.5 - box.x * 64) <= 1.5)
        #expect(abs(Double(y0) + 0.5 - box.y * 64) <= 1.5)
        #expect(abs(Double(x1) + 0.5 - (box.x + box.width) * 64) <= 1.5)
        #expect(abs(Double(y1) + 0.5 - (box.y + box.height) * 64) <= 1.5)
    }

    @Test func strokeCoversTheOutlineOnly() {
        let canvas = SyntheticCanvas(size: 32, background: black)
        let ring = canvas.coverage(of: .circle(center: SyntheticPoint(0.5, 0.5), radius: 0.4), strokeWidth: 0.05)
        #expect(ring[16 * 32 + 16] == 0)  // centre untouched
        #expect(ring[16 * 32 + 3] > 0.5)  // on the outline (x = 0.1)
        let covered = Double(ring.reduce(0, +)) / 1024
        #expect(abs(covered - 2 * Double.pi * 0.4 * 0.05) < 0.01)
    }

    @Test func fillBlendsByOpacityAndImageIsClamped() {
        var canvas = SyntheticCanvas(size: 4, background: black)
        canvas.fill(.box(x: 0, y: 0, width: 1, height: 1), white, opacity: 0.25)
        #expect(abs(canvas.value(channel: 1, x: 2, y: 2) - 0.25) < 1e-6)
        canvas.fill(.box(x: 0, y: 0, width: 1, height: 1), RGBColour(red: 1, green: 0, blue: 0))
        var random = SyntheticRandom(seed: 1)
        canvas.addGrain(amplitude: 0.5, random: &random)
        let image = canvas.image
        #expect(image.channels == 3 && image.height == 4 && image.width == 4)
        #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func gradientRunsBetweenItsEndColours() {
        var canvas = SyntheticCanvas(size: 16, background: black)
        canvas.gradient(from: SyntheticPoint(0, 0), black, to: SyntheticPoint(0, 1), white)
        #expect(canvas.value(channel: 0, x: 5, y: 0) < 0.05)
        #expect(canvas.value(channel: 0, x: 5, y: 15) > 0.95)
        #expect(canvas.value(channel: 2, x: 0, y: 8) == canvas.value(channel: 2, x: 15, y: 8))
    }

    @Test func softNoiseStaysInsideItsRegion() {
        var canvas = SyntheticCanvas(size: 16, background: SyntheticPalette.gray(0.5))
        var random = SyntheticRandom(seed: 5)
        canvas.addSoftNoise(amplitude: 0.3, cells: 3, random: &random, within: .box(x: 0, y: 0, width: 0.5, height: 1))
        let right = (0..<16).flatMap { y in (8..<16).map { canvas.value(channel: 0, x: $0, y: y) } }
        let left = (0..<16).flatMap { y in (0..<8).map { canvas.value(channel: 0, x: $0, y: y) } }
        #expect(right.allSatisfy { $0 == 0.5 })
        #expect(left.contains { abs($0 - 0.5) > 0.01 })
    }

    @Test func boxHelpersComputeUnionClipAndIoU() {
        let a = BoundingBox(x: 0, y: 0, width: 0.5, height: 0.5)
        let b = BoundingBox(x: 0.25, y: 0.25, width: 0.5, height: 0.5)
        #expect(a.union(b) == BoundingBox(x: 0, y: 0, width: 0.75, height: 0.75))
        #expect(abs(a.intersectionOverUnion(b) - 0.0625 / 0.4375) < 1e-12)
        let clipped = BoundingBox(x: -0.2, y: 0.9, width: 0.5, height: 0.3).clippedToUnitSquare()
        #expect(clipped.x == 0 && clipped.y == 0.9)
        #expect(abs(clipped.width - 0.3) < 1e-12 && abs(clipped.height - 0.1) < 1e-12)
    }
}
