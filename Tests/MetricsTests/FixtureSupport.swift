import Foundation
import Testing

/// Fixtures written by Tests/Fixtures/make_metrics_fixtures.py, read from the
/// directory next to this file so that no Python is needed to run the tests.
enum Fixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func load<Value: Decodable>(_ name: String, as type: Value.Type = Value.self) throws -> Value {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try JSONDecoder().decode(Value.self, from: data)
    }
}

/// The pieces of the caption fixtures (`caption_scores.json`, `caption_end_to_end.json`):
/// a candidate with its references, and pycocoevalcap's corpus and per-sample scores.
enum CaptionFixture {
    struct Sample: Decodable {
        let id: String
        let candidate: String
        let references: [String]
    }
    struct Scalar: Decodable {
        let corpus: Double
        let per_sample: [Double]
    }
    /// BLEU-1 ... BLEU-4.
    struct Bleu: Decodable {
        let corpus: [Double]
        let per_sample: [[Double]]
    }
}

/// Relative agreement within `relative`, with an absolute floor for values near 0
/// (where a relative test says nothing about numbers that are 0 in exact arithmetic).
func isClose(_ actual: Double, _ expected: Double, relative: Double = 1e-6, absolute: Double = 1e-12) -> Bool {
    let difference = abs(actual - expected)
    return difference <= absolute || difference <= relative * max(abs(actual), abs(expected))
}

/// Records an issue naming `context` when the values differ.
func expectClose(_ actual: Double, _ expected: Double, _ context: @autoclosure () -> String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(isClose(actual, expected), "\(context()): got \(actual), expected \(expected)",
            sourceLocation: sourceLocation)
}
