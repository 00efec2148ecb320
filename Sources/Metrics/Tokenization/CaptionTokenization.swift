// The two ways captions are turned into tokens before CIDEr-D / BLEU / ROUGE-L:
// the PTB tokenizer of the COCO caption toolkit, or plain whitespace splitting,
// which is what the reference benchmark did (it passed raw strings to the
// pycocoevalcap scorers, which split them on whitespace themselves).

/// How captions are split into tokens before the caption metrics see them.
public enum CaptionTokenization: String, Sendable, Hashable, CaseIterable, Codable {
    /// pycocoevalcap's PTB tokenizer: lower-case, clitics and punctuation split
    /// off, punctuation dropped (see ``PTBTokenizer``).
    case ptb
    /// Python's `str.split()`: runs of whitespace separate tokens; case and
    /// punctuation are kept. This is what the reference benchmark used.
    case whitespace

    /// Tokenises a batch of captions (the PTB tokenizer lexes a batch as one text,
    /// as pycocoevalcap does, so pass all captions of one side together).
    public func tokenize(_ captions: [String]) -> [[String]] {
        switch self {
        case .ptb: return PTBTokenizer().tokenize(captions)
        case .whitespace: return captions.map(WhitespaceTokenizer.splitLikePython)
        }
    }
}

/// Whitespace splitting with Python's definition of whitespace.
public enum WhitespaceTokenizer {
    /// Splits like Python's `str.split()` with no argument: on runs of Unicode
    /// whitespace (including U+001C...U+001F, which Python counts and Swift's
    /// `Character.isWhitespace` does not), dropping empty pieces.
    public static func splitLikePython(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isPythonWhitespace(scalar) {
                if !current.isEmpty {
                    tokens.append(String(current))
                    current = String.UnicodeScalarView()
                }
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// Python's `str.isspace()` for one character.
    public static func isPythonWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
