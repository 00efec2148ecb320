// Answer accuracy for classification and VQA.
//
// An answer is first extracted from the text. The reference benchmark's targets
// read "The answer is X", and its evaluation takes what follows "is"; for
// multiple choice it compares only the first character after "is " (the option
// letter). Both are available here:
//   - extraction: whole text, or the text after the first whole-word occurrence
//     of a marker word ("is");
//   - comparison: exact match after normalisation (see AnswerNormalization), or
//     the multiple-choice letter (first letter or digit of the answer, case-blind).
// A prediction is correct when it matches any of its references. A prediction
// with no answer (marker required but absent, or no letter) counts as wrong and
// is counted as unparseable. When items carry an answer type, accuracy is also
// reported separately over closed and open questions.

/// Where the answer sits in a prediction or reference text.
public enum AnswerExtraction: Sendable, Hashable, Codable {
    /// The whole text is the answer.
    case wholeText
    /// The text after the first whole-word occurrence of `marker` (case-blind),
    /// e.g. "B." in "The answer is B.". When the marker is absent the whole text
    /// is used, unless `required`, in which case a prediction has no answer
    /// (references always fall back to their whole text).
    case afterMarker(String, required: Bool)

    /// The reference benchmark's convention: the answer follows "is".
    public static let afterIs = AnswerExtraction.afterMarker("is", required: true)

    /// The answer in `text`, or nil when a required marker is missing.
    public func answer(in text: String) -> String? {
        switch self {
        case .wholeText:
            return text
        case .afterMarker(let marker, let required):
            if let range = Self.firstWholeWord(marker, in: text) {
                return String(text.unicodeScalars[range.upperBound...])
            }
            return required ? nil : text
        }
    }

    /// The range of the first occurrence of `word` not inside a longer word.
    static func firstWholeWord(_ word: String, in text: String) -> Range<String.UnicodeScalarView.Index>? {
        let scalars = text.unicodeScalars
        let needle = Array(word.lowercased().unicodeScalars)
        guard !needle.isEmpty else { return nil }
        func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil
        }
        var index = scalars.startIndex
        var previous: Unicode.Scalar?
        while index != scalars.endIndex {
            if previous.map(isWordCharacter) != true {
                var cursor = index
                var matched = true
                for expected in needle {
                    guard cursor != scalars.endIndex,
                          String(scalars[cursor]).lowercased().unicodeScalars.elementsEqual([expected]) else {
                        matched = false
                        break
                    }
                    cursor = scalars.index(after: cursor)
                }
                if matched && (cursor == scalars.endIndex || !isWordCharacter(scalars[cursor])) {
                    return index..<cursor
                }
            }
            previous = scalars[index]
            index = scalars.index(after: index)
        }
        return nil
    }
}

/// How an extracted answer is compared with the reference answer.
public enum AnswerComparison: Sendable, Hashable, Codable {
    /// Equal after normalisation.
    case exactMatch(AnswerNormalization)
    /// Multiple choice: the first letter or digit of each answer, upper-cased.
    case multipleChoiceLetter

    /// The comparable form of an extracted answer, or nil when there is none
    /// (empty after normalisation, or no leading letter or digit).
    public func key(for answer: String) -> String? {
        switch self {
        case .exactMatch(let normalization):
            // An answer that normalises to nothing is no answer.
            let normalized = normalization.normalize(answer)
            return normalized.isEmpty ? nil : normalized
        case .multipleChoiceLetter:
            guard let first = answer.unicodeScalars.first(where: { !WhitespaceTokenizer.isPythonWhitespace($0) }),
                  first.properties.isAlphabetic || first.properties.numericType == .decimal else { return nil }
            return String(first).uppercased()
        }
    }
}

/// Options of the accuracy metric.
public struct AccuracyOptions: Sendable, Hashable, Codable {
    /// Where the answer sits in predictions and references.
    public var extraction: AnswerExtraction
    /// How extracted answers are compared.
    public var comparison: AnswerComparison

    /// Defaults: the answer after "is" when present, normalised exact match.
    public init(extraction: AnswerExtraction = .afterMarker("is", required: false),
                comparison: AnswerComparison = .exactMatch(.standard)) {
        self.extraction = extraction
        self.comparison = comparison
    }

    /// Library default for classification: answer after "is" if present, normalised exact match.
    public static let standard = AccuracyOptions()
    /// Library default for VQA: answer after "is" if present, VQA answer normalisation.
    public static let vqa = AccuracyOptions(comparison: .exactMatch(.vqa))
    /// The reference benchmark: the option letter right after "is" must match.
    public static let referenceBenchmark = AccuracyOptions(extraction: .afterIs, comparison: .multipleChoiceLetter)
}

/// Accuracy over a set of items, split by answer type when the items say it.
public struct AccuracyResult: Sendable, Hashable {
    /// Fraction of items whose prediction matches one of its references.
    public let accuracy: Double
    /// Per item, in order: whether it was answered correctly.
    public let correct: [Bool]
    /// Predictions from which no answer could be extracted (counted wrong).
    public let unparseableCount: Int
    /// Accuracy over closed questions, nil when there are none.
    public let closedAccuracy: Double?
    /// Number of items marked closed.
    public let closedCount: Int
    /// Accuracy over open questions, nil when there are none.
    public let openAccuracy: Double?
    /// Number of items marked open.
    public let openCount: Int
}

/// Exact-match accuracy with answer extraction (classification and VQA).
public struct AccuracyMetric: Sendable, Hashable {
    /// Extraction and comparison rules.
    public var options: AccuracyOptions

    /// An accuracy metric with the given options.
    public init(options: AccuracyOptions = .standard) {
        self.options = options
    }

    /// Scores every item.
    ///
    /// - Throws: `MetricsError` for no items, duplicate ids or an empty reference list.
    public func evaluate(_ items: [EvaluationItem]) throws -> AccuracyResult {
        try EvaluationItem.validate(items, metric: "accuracy")
        var correct: [Bool] = []
        var unparseable = 0
        for item in items {
            guard let answer = options.extraction.answer(in: item.prediction),
                  let predicted = options.comparison.key(for: answer) else {
                unparseable += 1
                correct.append(false)
                continue
            }
            let matches = item.references.contains { reference in
                // References fall back to their whole text when the marker is missing.
                let referenceAnswer = options.extraction.answer(in: reference) ?? reference
                return options.comparison.key(for: referenceAnswer) == predicted
            }
            correct.append(matches)
        }
        func accuracy(of type: AnswerType) -> (Double?, Int) {
            let selected = items.indices.filter { items[$0].answerType == type }
            guard !selected.isEmpty else { return (nil, 0) }
            return (Double(selected.filter { correct[$0] }.count) / Double(selected.count), selected.count)
        }
        let (closed, closedCount) = accuracy(of: .closed)
        let (open, openCount) = accuracy(of: .open)
        return AccuracyResult(accuracy: Double(correct.filter { $0 }.count) / Double(items.count),
                              correct: correct, unparseableCount: unparseable,
                              closedAccuracy: closed, closedCount: closedCount,
                              openAccuracy: open, openCount: openCount)
    }
}
