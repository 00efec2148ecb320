// Text tokenizers: the protocol the models use, and a word-level tokenizer built from the
// training corpus (the small-model default; a byte-level BPE can conform to the same
// protocol later).
//
// The word-level rule (also in Docs/DataFormat.md):
//   1. Normalise: CR LF and CR become LF; each run of spaces and tabs becomes one space;
//      spaces at the start or end of the text, or next to a newline, are removed;
//      optionally lower-case.
//   2. Special tokens written literally in the text (`<image>`, `</s>`, ...) are single tokens.
//   3. The rest splits into pieces: a run of letters (with combining marks), a single digit,
//      a newline, or any other single character (punctuation, symbols). So
//      "[0.25, 0.50]" -> "[" "0" "." "2" "5" "," "0" "." "5" "0" "]" and "is B." -> "is" "B" ".".
//   4. A piece that directly follows a space carries the prefix "▁" (U+2581), as in
//      SentencePiece: "The answer is B." -> "The" "▁answer" "▁is" "▁B" ".". A space before a
//      token that has no "▁" form (a special token, an unknown word) is the token "▁" itself.
//   5. The vocabulary: pieces by corpus frequency, where each "▁X" also counts towards "X"
//      (so "X" is always at least as frequent as "▁X" and never missing when "▁X" is there).
//   6. decode concatenates the pieces with "▁" read as a space, so
//      decode(encode(x)) == normalised(x) whenever every piece of x is in the vocabulary
//      (unknown pieces come back as "<unk>").

import Foundation

/// The ids of the special tokens every tokenizer of this library provides.
public struct SpecialTokenIDs: Sendable, Equatable, Hashable, Codable {
    /// Padding (ignored by the loss and attention masks).
    public var pad: Int
    /// Beginning of a sequence.
    public var bos: Int
    /// End of a sequence / of a turn (the reference prompt's `</s>`).
    public var eos: Int
    /// Stands for text the vocabulary does not cover.
    public var unknown: Int
    /// The `<image>` placeholder where image features enter the sequence.
    public var image: Int

    public init(pad: Int, bos: Int, eos: Int, unknown: Int, image: Int) {
        self.pad = pad
        self.bos = bos
        self.eos = eos
        self.unknown = unknown
        self.image = image
    }
}

/// Maps text to token ids and back.
public protocol TextTokenizer: Sendable {
    /// Number of ids; every id is in `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// The special tokens' ids.
    var specialTokens: SpecialTokenIDs { get }
    /// Token ids of `text` (no `<bos>` / `<eos>` added).
    func encode(_ text: String) -> [Int]
    /// The text of `ids`; `<pad>` and `<bos>` are dropped, other special tokens appear as
    /// their literal text.
    func decode(_ ids: [Int]) -> String
}

extension TextTokenizer {
    /// `encode(text)` with optional `<bos>` in front and `<eos>` at the end.
    public func encode(_ text: String, addingBOS: Bool, addingEOS: Bool) -> [Int] {
        (addingBOS ? [specialTokens.bos] : []) + encode(text) + (addingEOS ? [specialTokens.eos] : [])
    }
}

/// Why a saved tokenizer could not be loaded.
public enum TokenizerError: Error, CustomStringConvertible, Sendable {
    case unreadable(file: String, reason: String)
    case invalid(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read tokenizer: \(reason)"
        case let .invalid(file, reason): return "\(file): invalid tokenizer: \(reason)"
        }
    }
}

/// A word-level tokenizer with SentencePiece-style space marking (see the file header for
/// the exact rule). Ids: 0 `<pad>`, 1 `<bos>`, 2 `</s>` (eos), 3 `<unk>`, 4 `<image>`,
/// 5 `▁` (a lone space), then the corpus pieces by descending frequency.
public struct WordTokenizer: TextTokenizer, Equatable {
    /// The marker of a piece that follows a space.
    public static let spaceMarker: Character = "\u{2581}"
    /// Literal texts of the special tokens, in id order 0...4.
    public static let specialTokenTexts = ["<pad>", "<bos>", "</s>", "<unk>", "<image>"]
    /// Ids below this are special tokens or the lone space marker.
    public static let reservedCount = specialTokenTexts.count + 1

    /// The piece of each id.
    public private(set) var tokens: [String]
    /// Whether text is lower-cased before splitting.
    public let lowercases: Bool
    private var idsByToken: [String: Int]

    public var vocabularySize: Int { tokens.count }
    public var specialTokens: SpecialTokenIDs { SpecialTokenIDs(pad: 0, bos: 1, eos: 2, unknown: 3, image: 4) }
    private var spaceID: Int { Self.specialTokenTexts.count }

    /// Builds the vocabulary from `corpus`.
    /// - Parameters:
    ///   - minimumCount: pieces seen fewer times are left out (they encode as `<unk>`).
    ///   - maximumSize: the most ids in total, reserved ones included (at least `reservedCount`).
    ///   - lowercase: lower-case text before splitting.
    /// Order: count descending, then the piece's Unicode scalars ascending, so the same
    /// corpus always gives the same ids. A piece's count includes its "▁" form's count.
    public init(corpus: [String], minimumCount: Int = 1, maximumSize: Int = 32_000, lowercase: Bool = false) {
        precondition(maximumSize >= Self.reservedCount,
                     "WordTokenizer: maximumSize \(maximumSize) leaves no room for the \(Self.reservedCount) reserved ids")
        precondition(minimumCount >= 1, "WordTokenizer: minimumCount \(minimumCount) must be at least 1")
        var counts: [String: Int] = [:]
        for text in corpus {
            for piece in Self.pieces(of: text, lowercase: lowercase) where !piece.isSpecial {
                counts[piece.text, default: 0] += 1
                // Every "▁X" also counts for "X", so the vocabulary never holds "▁X" without
                // "X": a piece seen only after spaces still encodes at the start of a text or
                // after a newline, and when the size cap drops "▁X" it encodes as "▁" + "X".
                if piece.followsSpace { counts[piece.bare, default: 0] += 1 }
            }
        }
        let reserved = Set(Self.specialTokenTexts + [String(Self.spaceMarker)])
        let ranked = counts
            .filter { $0.value >= minimumCount && !reserved.contains($0.key) }
            .sorted { left, right in
                left.value != right.value ? left.value > right.value
                    : left.key.unicodeScalars.lexicographicallyPrecedes(right.key.unicodeScalars)
            }
            .prefix(maximumSize - Self.reservedCount)
            .map(\.key)
        self.init(validatedTokens: Self.specialTokenTexts + [String(Self.spaceMarker)] + ranked, lowercase: lowercase)
    }

    private init(validatedTokens: [String], lowercase: Bool) {
        tokens = validatedTokens
        lowercases = lowercase
        idsByToken = Dictionary(uniqueKeysWithValues: validatedTokens.enumerated().map { ($1, $0) })
    }

    /// The id of a piece (with its "▁" if it has one), or nil.
    public func id(of piece: String) -> Int? { idsByToken[piece] }

    // MARK: Encoding and decoding

    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        for piece in Self.pieces(of: text, lowercase: lowercases) {
            if piece.isSpecial {
                if piece.followsSpace { ids.append(spaceID) }
                ids.append(idsByToken[piece.bare]!)
            } else if let id = idsByToken[piece.text] {
                ids.append(id)
            } else {
                // "▁word" unknown: a lone space, then the bare word if known, else <unk>.
                if piece.followsSpace { ids.append(spaceID) }
                ids.append(idsByToken[piece.bare] ?? specialTokens.unknown)
            }
        }
        return ids
    }

    public func decode(_ ids: [Int]) -> String {
        var text = ""
        for id in ids {
            precondition(id >= 0 && id < tokens.count, "WordTokenizer.decode: id \(id) outside 0..<\(tokens.count)")
            if id == specialTokens.pad || id == specialTokens.bos { continue }
            for character in tokens[id] {
                text.append(character == Self.spaceMarker ? " " : character)
            }
        }
        return text
    }

    /// The text `decode(encode(text))` gives back when every piece is known (rule 1 of the
    /// file header).
    public static func normalised(_ text: String, lowercase: Bool = false) -> String {
        var result = ""
        var pendingSpace = false
        for character in lowercase ? text.lowercased() : text {
            if character == "\r\n" || character == "\r" || character == "\n" {
                result.append("\n")
                pendingSpace = false
            } else if character == " " || character == "\t" {
                pendingSpace = !result.isEmpty && result.last != "\n"
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(character)
            }
        }
        return result
    }

    // MARK: Splitting

    /// One piece of text before vocabulary lookup.
    struct Piece {
        /// Without the space marker.
        var bare: String
        var followsSpace: Bool
        var isSpecial: Bool
        /// The vocabulary form: "▁" + bare after a space (never for special tokens).
        var text: String { followsSpace && !isSpecial ? String(WordTokenizer.spaceMarker) + bare : bare }
    }

    /// Splits normalised `text` into pieces (rules 2-4 of the file header).
    static func pieces(of text: String, lowercase: Bool) -> [Piece] {
        let characters = Array(normalised(text, lowercase: lowercase))
        var pieces: [Piece] = []
        var index = 0
        var followsSpace = false
        while index < characters.count {
            let character = characters[index]
            if character == " " {
                followsSpace = true
                index += 1
                continue
            }
            if character == "<", let special = specialTokenTexts.first(where: { matches($0, in: characters, at: index) }) {
                pieces.append(Piece(bare: special, followsSpace: followsSpace, isSpecial: true))
                index += special.count
            } else if isWordCharacter(character) {
                var end = index + 1
                while end < characters.count, isWordCharacter(characters[end]) { end += 1 }
                pieces.append(Piece(bare: String(characters[index..<end]), followsSpace: followsSpace, isSpecial: false))
                index = end
            } else {
                // A digit, a newline or another single character.
                pieces.append(Piece(bare: String(character), followsSpace: followsSpace, isSpecial: false))
                index += 1
            }
            followsSpace = false
        }
        return pieces
    }

    private static func matches(_ literal: String, in characters: [Character], at index: Int) -> Bool {
        var position = index
        for character in literal {
            guard position < characters.count, characters[position] == character else { return false }
            position += 1
        }
        return true
    }

    /// Letters (any script, with their combining marks) form words; digits stand alone.
    private static func isWordCharacter(_ character: Character) -> Bool {
        character.isLetter || (character.unicodeScalars.first.map {
            $0.properties.generalCategory == .nonspacingMark || $0.properties.generalCategory == .spacingMark
        } ?? false)
    }

    // MARK: Saving and loading

    private struct Stored: Codable {
        var type: String
        var version: Int
        var lowercase: Bool
        var specialTokens: [String]
        var tokens: [String]
    }

    /// The tokenizer as JSON: `{"type": "word-level", "version": 1, "lowercase": ..,
    /// "special_tokens": [...], "tokens": [...]}` with `tokens[id]` the piece of `id`.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(Stored(type: "word-level", version: 1, lowercase: lowercases,
                                         specialTokens: Self.specialTokenTexts, tokens: tokens))
    }

    /// Writes `jsonData()` to `url`.
    public func save(to url: URL) throws {
        try jsonData().write(to: url, options: .atomic)
    }

    /// Reads a tokenizer written by `save(to:)`.
    /// - Throws: `TokenizerError` naming the file and the bad field.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadable(file: url.path, reason: describe(error))
        }
        try self.init(jsonData: data, name: url.path)
    }

    /// Reads a tokenizer from JSON bytes; `name` labels them in errors.
    public init(jsonData data: Data, name: String = "tokenizer.json") throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let stored: Stored
        do {
            stored = try decoder.decode(Stored.self, from: data)
        } catch {
            throw TokenizerError.invalid(file: name, reason: decodingReason(error))
        }
        guard stored.type == "word-level", stored.version == 1 else {
            throw TokenizerError.invalid(file: name, reason: "type \"\(stored.type)\" version \(stored.version); expected word-level version 1")
        }
        guard stored.specialTokens == Self.specialTokenTexts else {
            throw TokenizerError.invalid(file: name, reason: "special_tokens \(stored.specialTokens); expected \(Self.specialTokenTexts)")
        }
        let reserved = Self.specialTokenTexts + [String(Self.spaceMarker)]
        guard Array(stored.tokens.prefix(reserved.count)) == reserved else {
            throw TokenizerError.invalid(file: name, reason: "tokens must start with \(reserved)")
        }
        var seen: Set<String> = []
        for (id, token) in stored.tokens.enumerated() {
            guard !token.isEmpty else { throw TokenizerError.invalid(file: name, reason: "tokens[\(id)] is empty") }
            guard seen.insert(token).inserted else {
                throw TokenizerError.invalid(file: name, reason: "tokens[\(id)] \"\(token)\" appears twice")
            }
        }
        self.init(validatedTokens: stored.tokens, lowercase: stored.lowercase)
    }
}
