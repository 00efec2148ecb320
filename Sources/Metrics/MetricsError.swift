// Errors for everything a caller can get wrong when handing data to the metrics.
// Messages name the metric, the sample identifier or index, and the field.

/// An error in the data or options given to a metric.
public enum MetricsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Candidate and reference sets are keyed by different identifiers.
    /// `withoutCandidate` have references but no candidate; `withoutReferences` the reverse.
    case mismatchedKeys(metric: String, withoutCandidate: [String], withoutReferences: [String])
    /// A sample has an empty list of references.
    case emptyReferences(metric: String, id: String)
    /// The metric was given no samples at all.
    case noSamples(metric: String)
    /// Two samples share an identifier.
    case duplicateIdentifier(metric: String, id: String)
    /// A reference text holds no box that can be read.
    case unparseableReference(id: String, referenceIndex: Int, text: String)
    /// Coordinates must be converted between pixels and normalised units but the
    /// sample has no image size.
    case missingImageSize(id: String)
    /// An option or a numeric field has a value the metric cannot use.
    case invalidValue(field: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .mismatchedKeys(let metric, let withoutCandidate, let withoutReferences):
            var parts: [String] = []
            if !withoutCandidate.isEmpty {
                parts.append("no candidate for key(s) \(Self.listing(withoutCandidate))")
            }
            if !withoutReferences.isEmpty {
                parts.append("no references for key(s) \(Self.listing(withoutReferences))")
            }
            return "\(metric): candidate and reference keys differ: " + parts.joined(separator: "; ")
        case .emptyReferences(let metric, let id):
            return "\(metric): sample '\(id)' has an empty reference list"
        case .noSamples(let metric):
            return "\(metric): no samples to evaluate"
        case .duplicateIdentifier(let metric, let id):
            return "\(metric): sample identifier '\(id)' occurs more than once"
        case .unparseableReference(let id, let referenceIndex, let text):
            return "IoU: reference \(referenceIndex) of sample '\(id)' holds no box: \(Self.excerpt(text))"
        case .missingImageSize(let id):
            return "IoU: sample '\(id)' needs an image size to convert between pixel and normalised coordinates"
        case .invalidValue(let field, let value, let reason):
            return "invalid value \(value) for \(field): \(reason)"
        }
    }

    /// At most ten keys, quoted, and how many more there are.
    private static func listing(_ keys: [String]) -> String {
        let shown = keys.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
        return keys.count > 10 ? "\(shown) and \(keys.count - 10) more" : shown
    }

    private static func excerpt(_ text: String) -> String {
        let limit = 80
        return text.count > limit ? "\"\(text.prefix(limit))...\"" : "\"\(text)\""
    }
}
