import Testing
@testable import Metrics

@Suite("IoU: geometry by hand, box parsing, policies")
struct IoUTests {
    private func item(_ id: String, _ prediction: String, _ reference: String,
                      size: ImageSize? = nil) -> EvaluationItem {
        EvaluationItem(id: id, prediction: prediction, references: [reference], imageSize: size)
    }

    @Test("hand-computed geometry: identical, partial, touching, nested, disjoint, degenerate")
    func geometry() {
        let unit = BoundingBox(x: 0, y: 0, width: 2, height: 2)
        #expect(unit.intersectionOverUnion(with: unit) == 1)
        // Overlap 1x1 = 1, union 4 + 4 - 1 = 7.
        #expect(unit.intersectionOverUnion(with: BoundingBox(x: 1, y: 1, width: 2, height: 2)) == 1.0 / 7.0)
        // Sharing an edge or a corner: no area in common.
        #expect(unit.intersectionOverUnion(with: BoundingBox(x: 2, y: 0, width: 2, height: 2)) == 0)
        #expect(unit.intersectionOverUnion(with: BoundingBox(x: 2, y: 2, width: 1, height: 1)) == 0)
        // Nested: inner 1x1 inside outer 2x2 -> 1/4, whichever way round.
        let inner = BoundingBox(x: 0.5, y: 0.5, width: 1, height: 1)
        #expect(unit.intersectionOverUnion(with: inner) == 0.25)
        #expect(inner.intersectionOverUnion(with: unit) == 0.25)
        #expect(unit.intersectionOverUnion(with: BoundingBox(x: 5, y: 5, width: 1, height: 1)) == 0)
        // Degenerate boxes have no area: IoU 0, even with themselves.
        let line = BoundingBox(x: 0, y: 0, width: 0, height: 2)
        #expect(line.intersectionOverUnion(with: line) == 0)
        #expect(line.intersectionOverUnion(with: unit) == 0)
        let inverted = BoundingBox(minX: 2, minY: 2, maxX: 0, maxY: 0)
        #expect(inverted.area == 0 && inverted.intersectionOverUnion(with: unit) == 0)
        // Normalised floats: [0.1, 0.1, 0.4, 0.4] vs [0.3, 0.3, 0.4, 0.4] (xywh):
        // overlap 0.2 x 0.2 = 0.04, union 0.16 + 0.16 - 0.04 = 0.28.
        let a = BoundingBox(x: 0.1, y: 0.1, width: 0.4, height: 0.4)
        let b = BoundingBox(x: 0.3, y: 0.3, width: 0.4, height: 0.4)
        #expect(abs(a.intersectionOverUnion(with: b) - 0.04 / 0.28) < 1e-12)
    }

    @Test("parsing: reference convention, formats, integers, several boxes")
    func parsing() throws {
        let parser = BoxParser()
        #expect(parser.boxes(in: "The coordinates are [0.1, 0.2, 0.3, 0.4].")
                == [BoundingBox(x: 0.1, y: 0.2, width: 0.3, height: 0.4)])
        #expect(BoxParser(format: .xyxy).boxes(in: "are [10, 20, 30, 60]")
                == [BoundingBox(minX: 10, minY: 20, maxX: 30, maxY: 60)])
        #expect(parser.boxes(in: "are [[1,2,3,4], [5 6 7 8]]")?.count == 2)
        #expect(parser.boxes(in: "The objects are {'heart': [0.5, 0.5, 0.1, 0.1]}")?.count == 1)
        #expect(parser.boxes(in: "are (1e-1, -0.0, +2, 3.)") == [BoundingBox(x: 0.1, y: 0, width: 2, height: 3)])
        #expect(parser.boxes(in: "0.1, 0.2, 0.3, 0.4.") == [BoundingBox(x: 0.1, y: 0.2, width: 0.3, height: 0.4)])
        #expect(parser.boxes(in: "are [0.1, 0.2, 0.3]") == [])            // three numbers
        #expect(parser.boxes(in: "are [a, b, c, d]") == [])
        #expect(parser.boxes(in: "are [nan, 1, 2, 3]") == [])
        #expect(parser.boxes(in: "The 2 dogs are 3 4 5 meters away") == [])  // words around numbers
        #expect(BoxParser(extraction: .afterMarker("are", required: true)).boxes(in: "[1, 2, 3, 4]") == nil)
    }

    @Test("per-sample IoU pairs boxes in order; missing and extra boxes count 0")
    func severalBoxes() {
        let a = BoundingBox(x: 0, y: 0, width: 1, height: 1)
        let b = BoundingBox(x: 2, y: 2, width: 1, height: 1)
        #expect(IoUMetric.pairedIoU([a, b], [a, b]) == 1)
        #expect(IoUMetric.pairedIoU([a], [a, b]) == 0.5)
        #expect(IoUMetric.pairedIoU([a, b, b], [a, b]) == 2.0 / 3.0)
        #expect(IoUMetric.pairedIoU([b, a], [a, b]) == 0)
    }

    @Test("unparseable predictions: 0 by default, left out on request, always counted")
    func unparseablePolicy() throws {
        let items = [
            item("1", "The coordinates are [0, 0, 2, 2]", "The coordinates are [0, 0, 2, 2]"),
            item("2", "The coordinates are [1, 1, 2, 2]", "The coordinates are [0, 0, 2, 2]"),
            item("3", "I cannot see it", "The coordinates are [0, 0, 2, 2]"),
        ]
        let zero = try IoUMetric(options: .standard).evaluate(items)
        #expect(zero.perSample == [1, 1.0 / 7.0, 0])
        #expect(zero.unparseableIndices == [2] && zero.evaluatedCount == 3)
        #expect(abs(zero.meanIoU - (1 + 1.0 / 7.0) / 3) < 1e-15)
        let excluded = try IoUMetric(options: .referenceBenchmark).evaluate(items)
        #expect(excluded.unparseableCount == 1 && excluded.evaluatedCount == 2)
        #expect(abs(excluded.meanIoU - (1 + 1.0 / 7.0) / 2) < 1e-15)
        // The reference benchmark needs "are" in the prediction.
        let noMarker = try IoUMetric(options: .referenceBenchmark).evaluate([item("1", "[0, 0, 2, 2]", "are [0, 0, 2, 2]")])
        #expect(noMarker.unparseableCount == 1 && noMarker.meanIoU == 0)
    }

    @Test("pixel predictions against normalised references use the image size")
    func coordinateSpaces() throws {
        let options = IoUOptions(predictionSpace: .pixels, referenceSpace: .normalized)
        let result = try IoUMetric(options: options).evaluate([
            item("1", "are [50, 25, 100, 50]", "are [0.25, 0.25, 0.5, 0.5]", size: ImageSize(width: 200, height: 100)),
        ])
        #expect(abs(result.meanIoU - 1) < 1e-12)
        #expect(throws: MetricsError.missingImageSize(id: "2")) {
            try IoUMetric(options: options).evaluate([item("2", "are [1, 1, 2, 2]", "are [0.1, 0.1, 0.2, 0.2]")])
        }
    }

    @Test("best of several reference texts counts")
    func bestReference() throws {
        let result = try IoUMetric().evaluate([
            EvaluationItem(id: "1", prediction: "[0, 0, 1, 1]", references: ["[5, 5, 1, 1]", "[0, 0, 1, 1]"]),
        ])
        #expect(result.meanIoU == 1)
    }
}
