// PTB tokenisation of captions exactly as pycocoevalcap's `PTBTokenizer` wrapper
// produces it, without Java:
//
//   1. each caption has its "\n" replaced by a space; captions are joined by "\n";
//   2. the joined text is lexed by Stanford's PTBLexer 3.4.1 (rules in
//      PTBLexerRules.swift), keeping line breaks, and every token is lower-cased
//      with Java's `toLowerCase(Locale.ENGLISH)`;
//   3. per output line (tokens joined by spaces, right-stripped of whitespace),
//      tokens in pycocoevalcap's PUNCTUATIONS list are dropped and the rest
//      joined by single spaces.
//
// Because the captions are lexed as one text, a caption's last token can depend
// on the next caption, exactly as in pycocoevalcap: "Plan I." followed by a
// caption starting "The ..." gives "plan i" (the lexer reads "I" and a sentence
// period), followed by "the ..." it gives "plan i.".

/// A Penn-Treebank tokenizer for captions that reproduces pycocoevalcap's
/// `PTBTokenizer` (Stanford CoreNLP 3.4.1, `-preserveLines -lowerCase`, then
/// punctuation removal) in pure Swift.
///
/// ```swift
/// let tokenizer = PTBTokenizer()
/// tokenizer.tokenize("A man (in red) isn't riding.")
/// // ["a", "man", "-lrb-", "in", "red", "-rrb-", "is", "n't", "riding"]
/// ```
///
/// Note the `-lrb-`/`-rrb-` tokens: pycocoevalcap lists `-LRB-` as punctuation
/// but compares after lower-casing, so the bracket tokens survive. This type keeps
/// that behaviour on purpose.
public struct PTBTokenizer: Sendable {
    /// Tokens pycocoevalcap's wrapper removes after tokenisation (compared after
    /// lower-casing, so the upper-case bracket escapes in this list never match).
    public static let removedPunctuation: Set<String> = [
        "''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-",
        ".", "?", "!", ",", ":", "-", "--", "...", ";",
    ]

    private static let removedPunctuationBytes = Set(removedPunctuation.map { Array($0.utf8) })

    /// Creates a tokenizer. It has no options: it reproduces one fixed configuration.
    public init() {}

    /// Tokenises one caption, as a batch of one (the caption is lexed to the end
    /// of the text, as the last line of pycocoevalcap's temporary file would be).
    public func tokenize(_ caption: String) -> [String] {
        tokenize([caption])[0]
    }

    /// Tokenises a batch of captions as pycocoevalcap does with one call of its
    /// tokenizer, and splits each result on whitespace like Python's `str.split()`
    /// (which is what its BLEU and CIDEr scorers do next).
    ///
    /// - Returns: one token list per caption, in order.
    public func tokenize(_ captions: [String]) -> [[String]] {
        tokenizedCaptions(captions).map(WhitespaceTokenizer.splitLikePython)
    }

    /// The strings pycocoevalcap's `PTBTokenizer.tokenize` returns for a batch:
    /// lower-cased tokens without punctuation, joined by single spaces.
    ///
    /// Tokens may contain a no-break space (U+00A0) where the lexer kept a
    /// fraction such as "3 1/2" together, as the Java tokenizer does.
    public func tokenizedCaptions(_ captions: [String]) -> [String] {
        guard !captions.isEmpty else { return [] }
        var text: [UInt16] = []
        for (index, caption) in captions.enumerated() {
            if index > 0 { text.append(0x0A) }
            for unit in caption.utf16 {
                switch unit {
                // pycocoevalcap replaces "\n" by a space. The other line breaks the
                // lexer knows would split the caption over two output lines and shift
                // every later caption; they are read as spaces here instead.
                case 0x0A, 0x0D, 0x0B, 0x0C, 0x2028, 0x2029: text.append(0x20)
                default: text.append(unit)
                }
            }
        }
        var lexer = PTBLexer(text: text)
        let lines = lexer.lines()
        precondition(lines.count == captions.count,
                     "PTBTokenizer: \(lines.count) lines for \(captions.count) captions")
        return lines.map { tokens in
            // As the wrapper does: the Java output line, right-stripped of Python
            // whitespace (which can shorten a last token ending in a no-break
            // space), split on single spaces, punctuation dropped.
            let line = tokens.map(JavaLowercase.lowercased).joined(separator: " ")
            var scalars = Array(line.unicodeScalars)
            while let last = scalars.last, WhitespaceTokenizer.isPythonWhitespace(last) { scalars.removeLast() }
            // Split on U+0020 scalars (a Character split would keep a space that is
            // followed by a combining mark) and compare tokens byte for byte
            // (Swift's String equality would also drop U+037E, canonically ";").
            return scalars.split(separator: " ", omittingEmptySubsequences: false)
                .map { String(String.UnicodeScalarView($0)) }
                .filter { !Self.removedPunctuationBytes.contains(Array($0.utf8)) }
                .joined(separator: " ")
        }
    }
}

/// The scanning loop: longest match over `ptbLexerRules`, earliest rule on ties.
struct PTBLexer {
    let text: [UInt16]
    /// One lazily built automaton per rule pattern and per trailing context.
    private var patterns: [LazyDFA]
    private var trailingContexts: [LazyDFA?]
    /// For each code unit seen so far, the indices of the rules whose match can
    /// start with it (a text has few distinct units; most rules fail on the first).
    private var candidateRules: [UInt16: [Int]] = [:]

    /// For each unit some rule requires, the last position where it occurs.
    private var lastPositionOfRequiredUnit: [UInt16: Int] = [:]

    init(text: [UInt16]) {
        self.text = text
        for unit in Set(ptbLexerRules.compactMap(\.requiredUnit)) {
            lastPositionOfRequiredUnit[unit] = text.lastIndex(of: unit) ?? -1
        }
        patterns = ptbLexerRules.map { LazyDFA($0.pattern) }
        trailingContexts = ptbLexerRules.map { $0.trailingContext.map(LazyDFA.init) }
    }

    /// Lexes the whole text into lines of raw (not yet lower-cased) tokens.
    mutating func lines() -> [[String]] {
        var lines: [[String]] = [[]]
        var position = 0
        while position < text.count {
            guard let (rule, matchedLength) = bestRule(at: position) else {
                // Nothing matched: the lexer deletes an untokenizable character.
                position += 1
                continue
            }
            let matched = Array(text[position..<(position + matchedLength)])
            let (tokens, consumed) = apply(rule.action, to: matched)
            if case .lineBreak = rule.action {
                lines.append([])
            } else {
                lines[lines.count - 1].append(contentsOf: tokens)
            }
            precondition(consumed > 0, "PTBLexer: a rule consumed no input")
            position += consumed
        }
        return lines
    }

    /// The winning rule at `position` and the length of its text (without trailing context).
    private mutating func bestRule(at position: Int) -> (LexerRule, Int)? {
        let unit = text[position]
        let candidates: [Int]
        if let cached = candidateRules[unit] {
            candidates = cached
        } else {
            candidates = ptbLexerRules.indices.filter { ptbLexerRules[$0].pattern.canStart(with: unit) }
            candidateRules[unit] = candidates
        }
        var best: (rule: LexerRule, total: Int, text: Int)?
        for index in candidates {
            let rule = ptbLexerRules[index]
            if let required = rule.requiredUnit, lastPositionOfRequiredUnit[required]! < position { continue }
            guard let (total, textLength) = measure(ruleAt: index, position: position) else { continue }
            if best == nil || total > best!.total {
                best = (rule, total, textLength)
            }
        }
        return best.map { ($0.rule, $0.text) }
    }

    /// Total match length (text plus trailing context) and text length of one rule.
    private mutating func measure(ruleAt index: Int, position: Int) -> (Int, Int)? {
        guard trailingContexts[index] != nil else {
            guard let length = patterns[index].longestMatch(in: text, from: position), length > 0 else { return nil }
            return (length, length)
        }
        var best: (Int, Int)?
        for length in patterns[index].matchLengths(in: text, from: position) where length > 0 {
            guard let context = trailingContexts[index]!.longestMatch(in: text, from: position + length),
                  context > 0 else { continue }
            let total = length + context
            if best == nil || total >= best!.0 { best = (total, length) }
        }
        return best
    }

    /// Runs a rule's action; returns the tokens and how many units were consumed.
    private func apply(_ action: LexerAction, to matched: [UInt16]) -> ([String], Int) {
        let string = String(decoding: matched, as: UTF16.self)
        switch action {
        case .emit:
            return ([string], matched.count)
        case .emitWithoutSoftHyphens:
            return ([Self.removingSoftHyphens(string)], matched.count)
        case .emitWithNoBreakSpaces:
            return ([Self.noBreakSpaces(string)], matched.count)
        case .emitPhoneNumber:
            return ([Self.escapingBrackets(Self.noBreakSpaces(string))], matched.count)
        case .emitPrefix(let count):
            return ([String(decoding: matched[0..<count], as: UTF16.self)], count)
        case .emitReplacement(let replacement):
            return ([replacement], matched.count)
        case .emitNormalizingAmpersand:
            return ([Self.normalizingAmpersand(string)], matched.count)
        case .emitNormalizingCurrency:
            return ([Self.normalizingCurrency(string)], matched.count)
        case .emitNormalizingFraction:
            return ([Self.normalizingFraction(string)], matched.count)
        case .emitQuote(let probablyLeft):
            return ([Self.latexQuotes(string, probablyLeft: probablyLeft)], matched.count)
        case .emitRepeatingFinalPeriod:
            // The whole abbreviation is a token and its period is scanned again.
            return ([string], matched.count - 1)
        case .emitAcronymAtSentenceEnd:
            // "I." before a sentence start is the word "I" and a period; longer
            // acronyms keep their period and the period is scanned again.
            if matched.count == 2 {
                return ([String(decoding: matched[0..<1], as: UTF16.self)], 1)
            }
            return ([string], matched.count - 1)
        case .emitHyphens:
            return ([(3...4).contains(matched.count) ? "--" : string], matched.count)
        case .emitEmoticon:
            return ([Self.escapingBrackets(string)], matched.count)
        case .skip, .lineBreak:
            return ([], matched.count)
        }
    }

    // MARK: Token normalisations of the PTB3 escaping defaults

    static func removingSoftHyphens(_ token: String) -> String {
        guard token.unicodeScalars.contains("\u{AD}") else { return token }
        let kept = String(String.UnicodeScalarView(token.unicodeScalars.filter { $0 != "\u{AD}" }))
        return kept.isEmpty ? "-" : kept
    }

    static func noBreakSpaces(_ token: String) -> String {
        String(String.UnicodeScalarView(token.unicodeScalars.map { $0 == " " ? "\u{A0}" : $0 }))
    }

    static func escapingBrackets(_ token: String) -> String {
        var result = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "(": result += "-LRB-"
            case ")": result += "-RRB-"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Replaces "&amp;" in any letter case by "&".
    static func normalizingAmpersand(_ token: String) -> String {
        let units = Array(token.utf16)
        let entity = Array("&amp;".utf16)
        var result: [UInt16] = []
        var index = 0
        while index < units.count {
            if index + entity.count <= units.count,
               zip(units[index..<(index + entity.count)], entity).allSatisfy({ asciiLowercased($0) == $1 }) {
                result.append(0x26)
                index += entity.count
            } else {
                result.append(units[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF16.self)
    }

    private static func asciiLowercased(_ unit: UInt16) -> UInt16 {
        (0x41...0x5A).contains(unit) ? unit + 0x20 : unit
    }

    static func normalizingCurrency(_ token: String) -> String {
        var result = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\u{A2}": result += "cents"
            case "\u{A3}": result += "#"
            case "\u{80}", "\u{A4}", "\u{20A0}", "\u{20AC}": result += "$"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func normalizingFraction(_ token: String) -> String {
        var result = ""
        for scalar in token.unicodeScalars {
            switch scalar {
            case "\u{BC}": result += "1/4"
            case "\u{BD}": result += "1/2"
            case "\u{BE}": result += "3/4"
            case "\u{2153}": result += "1/3"
            case "\u{2154}": result += "2/3"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// LaTeX-style quotes: ` and `` open, ' and '' close; curly quotes by their shape.
    static func latexQuotes(_ token: String, probablyLeft: Bool) -> String {
        var result = ""
        let scalars = Array(token.unicodeScalars)
        var index = 0
        while index < scalars.count {
            // The entity forms are replaced like the characters they stand for.
            if let (entity, isSingle) = [("&apos;", true), ("&quot;", false)].first(where: { entity, _ in
                index + entity.unicodeScalars.count <= scalars.count
                    && String(String.UnicodeScalarView(scalars[index..<(index + entity.unicodeScalars.count)])) == entity
            }) {
                result += isSingle ? (probablyLeft ? "`" : "'") : (probablyLeft ? "``" : "''")
                index += entity.unicodeScalars.count
                continue
            }
            let scalar = scalars[index]
            switch scalar {
            case "'": result += probablyLeft ? "`" : "'"
            case "\"": result += probablyLeft ? "``" : "''"
            case "\u{91}", "\u{2018}", "\u{201B}", "\u{2039}": result += "`"
            case "\u{92}", "\u{2019}", "\u{203A}": result += "'"
            case "\u{93}", "\u{201C}", "\u{AB}": result += "``"
            case "\u{94}", "\u{201D}", "\u{BB}": result += "''"
            default: result.unicodeScalars.append(scalar)
            }
            index += 1
        }
        return result
    }
}

/// Java's `String.toLowerCase(Locale.ENGLISH)`: the Unicode lower-case mapping
/// of each character, except Greek capital sigma, which becomes final sigma when
/// Java's conditional casing says so. Java decides that with its word
/// `BreakIterator`: the sigma is final if a cased letter precedes it in the same
/// word and none follows it in the same word (see `JavaWordSegments`).
enum JavaLowercase {
    static func lowercased(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        guard scalars.contains(where: { $0.properties.changesWhenLowercased }) else { return text }
        var boundaries: [Bool]?
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}" {
                if boundaries == nil { boundaries = JavaWordSegments.boundaries(scalars) }
                result.append(isFinalSigma(scalars, at: index, boundaries: boundaries!) ? "\u{03C2}" : "\u{03C3}")
            } else {
                result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(result)
    }

    private static func isFinalSigma(_ scalars: [Unicode.Scalar], at index: Int, boundaries: [Bool]) -> Bool {
        var position = index
        while position > 0 && !boundaries[position] {
            if scalars[position - 1].properties.isCased {
                var after = index + 1
                while after < scalars.count && !boundaries[after] {
                    if scalars[after].properties.isCased { return false }
                    after += 1
                }
                return true
            }
            position -= 1
        }
        return false
    }
}

/// Word segments as Java's (JDK) word `BreakIterator` finds them, which is what
/// Java's lower-casing consults for Greek final sigma. Segments are, longest
/// first: words and numbers in alternation ("a1b", "U-2", "3.5%"), a currency
/// or '#' sign before a number, runs of whitespace, runs of katakana, hiragana
/// or ideographs, or else one character. Non-spacing and enclosing marks and
/// format characters never start a new segment.
enum JavaWordSegments {
    private enum Kind { case ignorable, letter, digit, other }

    /// `result[i]` is true when there is a segment boundary before scalar `i`
    /// (`result` has `scalars.count + 1` entries; both ends are boundaries).
    static func boundaries(_ scalars: [Unicode.Scalar]) -> [Bool] {
        var result = [Bool](repeating: false, count: scalars.count + 1)
        result[0] = true
        result[scalars.count] = true
        // Positions of the characters that take part in matching.
        let visible = scalars.indices.filter { !isIgnorable(scalars[$0]) }
        var cursor = 0
        while cursor < visible.count {
            result[visible[cursor]] = true
            cursor += segmentLength(scalars, visible, from: cursor)
        }
        return result
    }

    private static func isIgnorable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return true
        default: return false
        }
    }

    private static func isIdeograph(_ value: UInt32) -> Bool {
        value == 0x3005 || (0x3400...0x4DB5).contains(value) || (0x4E00...0x9FA5).contains(value)
            || (0xF900...0xFA6A).contains(value) || (0x20000...0x2FFFF).contains(value)
            || (0xE000...0xF8FF).contains(value) || value >= 0xF0000
    }
    private static func isKatakana(_ value: UInt32) -> Bool {
        (0x3099...0x309C).contains(value) || (0x30A1...0x30FE).contains(value)
    }
    private static func isHiragana(_ value: UInt32) -> Bool {
        (0x3041...0x309E).contains(value) || value == 0x30FC
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if isIdeograph(value) || isKatakana(value) || isHiragana(value) { return false }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .spacingMark:
            return true
        default:
            return false
        }
    }
    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
    private static func isMidWord(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .dashPunctuation, .connectorPunctuation: return true
        default: return ["\u{AD}", "\u{2027}", "\"", "'", "."].contains(scalar)
        }
    }
    private static func isMidNumber(_ scalar: Unicode.Scalar) -> Bool {
        ["\"", "'", ",", "\u{066B}", "."].contains(scalar)
    }
    private static func isNumberPrefix(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "#" || scalar == "." { return true }
        return scalar.properties.generalCategory == .currencySymbol && scalar != "\u{A2}"
    }
    private static func isNumberSuffix(_ scalar: Unicode.Scalar) -> Bool {
        ["%", "&", "\u{A2}", "\u{066A}", "\u{2030}", "\u{2031}"].contains(scalar)
    }
    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
    }
    private static func isLineSeparator(_ scalar: Unicode.Scalar) -> Bool {
        ["\n", "\u{0C}", "\u{2028}", "\u{2029}"].contains(scalar)
    }

    /// Length, in visible characters, of the longest segment starting at `start`.
    private static func segmentLength(_ scalars: [Unicode.Scalar], _ visible: [Int], from start: Int) -> Int {
        func at(_ index: Int) -> Unicode.Scalar? { index < visible.count ? scalars[visible[index]] : nil }
        /// Marks are skipped inside words, but not between a mid-word character
        /// and the letter that would continue the word (Java breaks there).
        func adjacent(_ index: Int) -> Bool { visible[index + 1] == visible[index] + 1 }
        /// letter+ (mid-word letter+)* danda?
        func word(_ index: Int) -> Int? {
            guard let first = at(index), isLetter(first) else { return nil }
            var end = index + 1
            while true {
                while let next = at(end), isLetter(next) { end += 1 }
                if let mid = at(end), isMidWord(mid), let next = at(end + 1), isLetter(next), adjacent(end) {
                    end += 1
                    continue
                }
                break
            }
            if let danda = at(end), danda == "\u{0964}" || danda == "\u{0965}" { end += 1 }
            return end
        }
        /// digit+ (mid-number digit+)*
        func number(_ index: Int) -> Int? {
            guard let first = at(index), isDigit(first) else { return nil }
            var end = index + 1
            while true {
                while let next = at(end), isDigit(next) { end += 1 }
                if let mid = at(end), isMidNumber(mid), let next = at(end + 1), isDigit(next), adjacent(end) {
                    end += 1
                    continue
                }
                break
            }
            return end
        }
        /// (number word)* (number suffix?)? from `index`.
        func numbersAndWords(_ index: Int) -> Int {
            var end = index
            while let afterNumber = number(end) {
                if let afterWord = word(afterNumber) {
                    end = afterWord
                } else {
                    end = afterNumber
                    if let suffix = at(end), isNumberSuffix(suffix) { end += 1 }
                    break
                }
            }
            return end
        }
        guard let first = at(start) else { return 0 }
        var longest = 1
        longest = max(longest, numbersAndWords(word(start) ?? start) - start)
        if isNumberPrefix(first) { longest = max(longest, numbersAndWords(start + 1) - start) }
        // Whitespace, then an optional carriage return and line separator.
        var end = start
        while let next = at(end), isSpace(next) { end += 1 }
        if at(end) == "\r" { end += 1 }
        if let next = at(end), isLineSeparator(next) { end += 1 }
        longest = max(longest, end - start)
        for isInRun in [isKatakana, isHiragana, isIdeograph] as [(UInt32) -> Bool] {
            var runEnd = start
            while let next = at(runEnd), isInRun(next.value) { runEnd += 1 }
            longest = max(longest, runEnd - start)
        }
        return longest
    }
}
