// Normalisation of short answers before exact matching.
//
// `.standard`: lower-case, collapse whitespace, trim surrounding whitespace and
// punctuation ("Yes." == "yes", "\"Cat\"" == "cat").
//
// `.vqa`: the answer processing of the VQA evaluation script (Antol et al.,
// "VQA: Visual Question Answering", ICCV 2015; github.com/GT-Vision-Lab/VQA):
//   1. newlines and tabs become spaces, surrounding whitespace is trimmed;
//   2. punctuation: each of ; / [ ] " { } ( ) = + \ _ - > < @ ` , ? ! is deleted
//      when it touches a space or when the text has a comma between digits,
//      and replaced by a space otherwise; then every period not followed by a
//      digit is deleted (so "2.5" keeps its point);
//   3. lower-case, split on whitespace, number words "none"/"zero"..."ten"
//      become digits, the articles "a", "an", "the" are dropped.
// The script's table that restores apostrophes in contractions ("dont" ->
// "don't") is not reproduced; both sides of a comparison get the same
// processing, so it only matters when one side omits an apostrophe.

/// How answer text is normalised before exact matching.
public struct AnswerNormalization: Sendable, Hashable, Codable {
    /// Lower-case the text.
    public var lowercases: Bool
    /// Trim whitespace and punctuation at both ends; collapse inner whitespace runs to one space.
    public var trimsSurroundingPunctuation: Bool
    /// Drop the articles "a", "an" and "the" as whole words.
    public var removesArticles: Bool
    /// Apply the VQA evaluation's punctuation rules and number-word mapping (see the file comment).
    public var appliesVQAProcessing: Bool

    /// A normalisation; the defaults give `.standard`.
    public init(lowercases: Bool = true, trimsSurroundingPunctuation: Bool = true,
                removesArticles: Bool = false, appliesVQAProcessing: Bool = false) {
        self.lowercases = lowercases
        self.trimsSurroundingPunctuation = trimsSurroundingPunctuation
        self.removesArticles = removesArticles
        self.appliesVQAProcessing = appliesVQAProcessing
    }

    /// Only surrounding whitespace is trimmed; case and punctuation count.
    public static let exact = AnswerNormalization(lowercases: false, trimsSurroundingPunctuation: false)
    /// Case-insensitive, surrounding punctuation ignored.
    public static let standard = AnswerNormalization()
    /// The VQA evaluation's answer processing (articles dropped, number words as digits).
    public static let vqa = AnswerNormalization(trimsSurroundingPunctuation: false, removesArticles: true,
                                                appliesVQAProcessing: true)

    /// The normalised form of `text`.
    public func normalize(_ text: String) -> String {
        var words: [String]
        if appliesVQAProcessing {
            words = WhitespaceTokenizer.splitLikePython(Self.vqaPunctuation(text))
        } else {
            words = WhitespaceTokenizer.splitLikePython(text)
        }
        if lowercases { words = words.map { $0.lowercased() } }
        if appliesVQAProcessing { words = words.map { Self.numberWords[$0] ?? $0 } }
        if removesArticles { words = words.filter { !Self.articles.contains($0) } }
        var joined = words.joined(separator: " ")
        if trimsSurroundingPunctuation {
            joined = String(String.UnicodeScalarView(Self.trimmingPunctuation(Array(joined.unicodeScalars))))
        }
        return joined
    }

    private static let articles: Set<String> = ["a", "an", "the"]
    private static let numberWords: [String: String] = [
        "none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
        "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10",
    ]
    private static let vqaPunctuationMarks: [Unicode.Scalar] = [
        ";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!",
    ]

    /// Steps 1 and 2 of the VQA processing (see the file comment).
    static func vqaPunctuation(_ text: String) -> String {
        let original = Array(text.unicodeScalars.map { $0 == "\n" || $0 == "\t" ? " " : $0 })
        let hasCommaBetweenDigits = original.indices.dropFirst().dropLast().contains { index in
            original[index] == "," && original[index - 1].properties.numericType == .decimal
                && original[index + 1].properties.numericType == .decimal
        }
        var scalars = original
        for mark in vqaPunctuationMarks {
            let touchesSpace = original.indices.contains { index in
                original[index] == mark
                    && ((index + 1 < original.count && original[index + 1] == " ")
                        || (index > 0 && original[index - 1] == " "))
            }
            if touchesSpace || hasCommaBetweenDigits {
                scalars.removeAll { $0 == mark }
            } else {
                scalars = scalars.map { $0 == mark ? " " : $0 }
            }
        }
        // Periods not followed by a digit go.
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar == ".",
               !(index + 1 < scalars.count && scalars[index + 1].properties.numericType == .decimal) {
                continue
            }
            result.append(scalar)
        }
        return String(result)
    }

    private static func trimmingPunctuation(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        func isTrimmed(_ scalar: Unicode.Scalar) -> Bool {
            if WhitespaceTokenizer.isPythonWhitespace(scalar) { return true }
            switch scalar.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation:
                return true
            default:
                return false
            }
        }
        var start = 0
        var end = scalars.count
        while start < end && isTrimmed(scalars[start]) { start += 1 }
        while end > start && isTrimmed(scalars[end - 1]) { end -= 1 }
        return Array(scalars[start..<end])
    }
}
