// Splits a JSON document whose top level is an array into the byte ranges of its
// elements without parsing them, so each sample of a dataset file can be decoded (and
// reported on) separately: a syntax error inside sample 7 is "sample 7", and skip-bad
// loading keeps samples 0-6 and 8-... .
//
// The scan tracks only string literals (with backslash escapes) and bracket depth; it does
// not validate. Whatever it hands out is validated by the JSON decoder per element.

/// The elements of a top-level JSON array, as byte ranges into the document.
struct JSONArrayElements {
    /// One element's bytes and the 1-based line it starts on.
    struct Element {
        var range: Range<Int>
        var line: Int
    }

    var elements: [Element]
    /// Set when the document ended before the array's closing bracket (a truncated file).
    var isUnterminated: Bool
    /// Set when non-whitespace follows the closing bracket.
    var hasTrailingContent: Bool

    /// Why a document is not a JSON array at all.
    enum SplitError: Error {
        case notAnArray(foundByte: UInt8?)
    }

    init(splitting bytes: [UInt8]) throws {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
        let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
        let newline = UInt8(ascii: "\n")

        var index = 0
        var line = 1
        // A UTF-8 byte-order mark is tolerated.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        while index < bytes.count, Self.isWhitespace(bytes[index]) {
            if bytes[index] == newline { line += 1 }
            index += 1
        }
        guard index < bytes.count, bytes[index] == openBracket else {
            throw SplitError.notAnArray(foundByte: index < bytes.count ? bytes[index] : nil)
        }
        index += 1

        var elements: [Element] = []
        var start: Int? = nil
        var startLine = line
        var lastNonSpace = index
        var depth = 0
        var inString = false
        var escaped = false
        var closedAt: Int? = nil

        func finishElement(upTo end: Int) {
            guard let first = start else { return }
            elements.append(Element(range: first..<max(end, first), line: startLine))
            start = nil
        }

        scan: while index < bytes.count {
            let byte = bytes[index]
            if byte == newline { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == backslash {
                    escaped = true
                } else if byte == quote {
                    inString = false
                }
                lastNonSpace = index + 1
                index += 1
                continue
            }
            if Self.isWhitespace(byte) {
                index += 1
                continue
            }
            if byte == comma && depth == 0 {
                if start == nil {
                    // An empty slot (",,") is still a sample position: hand out an empty
                    // element so the decoder reports it at the right index.
                    start = index
                    startLine = line
                }
                finishElement(upTo: lastNonSpace)
                index += 1
                continue
            }
            if byte == closeBracket && depth == 0 {
                finishElement(upTo: lastNonSpace)
                closedAt = index
                break scan
            }
            if start == nil {
                start = index
                startLine = line
            }
            switch byte {
            case quote: inString = true
            case openBrace, openBracket: depth += 1
            case closeBrace, closeBracket: depth -= 1
            default: break
            }
            lastNonSpace = index + 1
            index += 1
        }

        if let closed = closedAt {
            isUnterminated = false
            hasTrailingContent = bytes[(closed + 1)...].contains { !Self.isWhitespace($0) }
        } else {
            finishElement(upTo: lastNonSpace)
            isUnterminated = true
            hasTrailingContent = false
        }
        self.elements = elements
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
