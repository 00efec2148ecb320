// The word-level tokenizer: splitting rule, vocabulary order, round trips, save/load.

import Foundation
import Testing
@testable import Datasets

@Suite("Word tokenizer")
struct TokenizerTests {
    static let corpus = [
        "<image>\nWhat is the manufacturer of the aircraft?",
        "The answer is Boeing.",
        "The answer is B.",
        "The coordinates are [0.25, 0.50, 0.10, 0.20]",
        "A plot of speed (m/s) against time: it rises, then falls!",
    ]

    @Test("numbers split into digits and punctuation splits off, with ▁ after spaces")
    func splittingRule() {
        let pieces = WordTokenizer.pieces(of: "The coordinates are [0.25, 0.50]", lowercase: false).map(\.text)
        #expect(pieces == ["The", "▁coordinates", "▁are", "▁[", "0", ".", "2", "5", ",", "▁0", ".", "5", "0", "]"])
        let answer = WordTokenizer.pieces(of: "The answer is B.", lowercase: false).map(\.text)
        #expect(answer == ["The", "▁answer", "▁is", "▁B", "."])
        let prompt = WordTokenizer.pieces(of: "<image>\nWhat  is\tit?</s>", lowercase: false)
        #expect(prompt.map(\.text) == ["<image>", "\n", "What", "▁is", "▁it", "?", "</s>"])
        #expect(prompt.map(\.isSpecial) == [true, false, false, false, false, false, true])
    }

    @Test("normalisation collapses spaces, trims, keeps newlines")
    func normalisation() {
        #expect(WordTokenizer.normalised("  The   answer\t is \r\n  B. ") == "The answer is\nB.")
        #expect(WordTokenizer.normalised("Ünïcode Wörds", lowercase: true) == "ünïcode wörds")
    }

    @Test("decode(encode(x)) reproduces the normalised text", arguments: corpus + [
        "  The answer   is B.  ",
        "[0.25, 0.50, 0.10, 0.20]",
        "The answer is B.</s>The coordinates are [0.10, 0.20, 0.25, 0.50]",
    ])
    func roundTrip(text: String) {
        let tokenizer = WordTokenizer(corpus: Self.corpus)
        let ids = tokenizer.encode(text)
        #expect(!ids.contains(tokenizer.specialTokens.unknown))
        #expect(tokenizer.decode(ids) == WordTokenizer.normalised(text))
    }

    @Test("special tokens have fixed ids and are recognised in text")
    func specialTokens() {
        let tokenizer = WordTokenizer(corpus: Self.corpus)
        #expect(tokenizer.specialTokens == SpecialTokenIDs(pad: 0, bos: 1, eos: 2, unknown: 3, image: 4))
        #expect(Array(tokenizer.tokens.prefix(6)) == ["<pad>", "<bos>", "</s>", "<unk>", "<image>", "▁"])
        let ids = tokenizer.encode("<image>\nWhat", addingBOS: true, addingEOS: true)
        #expect(ids.first == 1 && ids[1] == 4 && ids.last == 2)
        #expect(tokenizer.decode(ids) == "<image>\nWhat</s>")
        // A space before a special token is the lone ▁ token.
        let spaced = tokenizer.encode("What <image>")
        #expect(spaced == [tokenizer.id(of: "What")!, 5, 4])
        #expect(tokenizer.decode(spaced) == "What <image>")
        #expect(tokenizer.decode([0, 0, tokenizer.id(of: "What")!]) == "What")
    }

    @Test("vocabulary is ordered by count, ties by text, with min count and max size")
    func vocabularyOrder() {
        let tokenizer = WordTokenizer(corpus: ["b a a", "c b a", "d"])
        // Counts: "▁a" 3, "a" 3 (its ▁ form's), "b" 2 (1 + "▁b"), "▁b" 1, "c" 1, "d" 1; ties
        // sorted by Unicode scalars (ASCII letters before "▁", U+2581).
        #expect(Array(tokenizer.tokens.dropFirst(WordTokenizer.reservedCount)) == ["a", "▁a", "b", "c", "d", "▁b"])
        let frequent = WordTokenizer(corpus: ["b a a", "c b a", "d"], minimumCount: 2)
        #expect(Array(frequent.tokens.dropFirst(WordTokenizer.reservedCount)) == ["a", "▁a", "b"])
        let small = WordTokenizer(corpus: ["b a a", "c b a", "d"], maximumSize: WordTokenizer.reservedCount + 3)
        #expect(small.vocabularySize == 9)
        #expect(Array(small.tokens.suffix(3)) == ["a", "▁a", "b"])
        // "▁b" was cut: it encodes as a lone space and "b".
        #expect(small.encode("a b") == [small.id(of: "a")!, 5, small.id(of: "b")!])
        #expect(small.decode(small.encode("a b")) == "a b")
        // Same corpus, same ids.
        #expect(WordTokenizer(corpus: Self.corpus) == WordTokenizer(corpus: Self.corpus))
    }

    @Test("unknown words become <unk>; an unknown ▁ form falls back to a lone space and the bare form")
    func unknownWords() {
        let tokenizer = WordTokenizer(corpus: ["alpha beta"])
        // "alpha" is known only without ▁; "beta" in both forms.
        let ids = tokenizer.encode("beta alpha gamma")
        #expect(ids == [tokenizer.id(of: "beta")!, 5, tokenizer.id(of: "alpha")!, 5, 3])
        #expect(tokenizer.decode(ids) == "beta alpha <unk>")
    }

    @Test("lower-casing tokenizers fold case")
    func lowercase() {
        let tokenizer = WordTokenizer(corpus: ["The Answer"], lowercase: true)
        #expect(tokenizer.decode(tokenizer.encode("THE answer")) == "the answer")
    }

    @Test("save and load give an equal tokenizer")
    func saveLoad() throws {
        let directory = try IOFixtures.temporaryDirectory("tokenizer")
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenizer = WordTokenizer(corpus: Self.corpus, lowercase: false)
        let url = directory.appendingPathComponent("tokenizer.json")
        try tokenizer.save(to: url)
        let loaded = try WordTokenizer(contentsOf: url)
        #expect(loaded == tokenizer)
        #expect(loaded.encode(Self.corpus[3]) == tokenizer.encode(Self.corpus[3]))
        let text = String(decoding: try Data(contentsOf: url), as: UTF8.self)
        #expect(text.contains("\"type\" : \"word-level\""))
        #expect(text.contains("\"special_tokens\""))
    }

    @Test("invalid tokenizer files are errors naming the file and the problem")
    func invalidFiles() throws {
        let valid = try WordTokenizer(corpus: ["a b"]).jsonData()
        var object = try #require(try JSONSerialization.jsonObject(with: valid) as? [String: Any])
        object["tokens"] = ["<pad>", "<bos>", "</s>", "<unk>", "<image>", "▁", "a", "a"]
        let duplicated = try JSONSerialization.data(withJSONObject: object)
        #expect { try WordTokenizer(jsonData: duplicated, name: "dup.json") } throws: { error in
            "\(error)".contains("dup.json") && "\(error)".contains("tokens[7]")
        }
        object["tokens"] = ["<unk>", "a"]
        let reordered = try JSONSerialization.data(withJSONObject: object)
        #expect { try WordTokenizer(jsonData: reordered, name: "order.json") } throws: { error in
            "\(error)".contains("order.json") && "\(error)".contains("must start with")
        }
        #expect { try WordTokenizer(jsonData: Data("{}".utf8), name: "empty.json") } throws: { error in
            "\(error)".contains("empty.json") && "\(error)".contains("missing field")
        }
        #expect(throws: TokenizerError.self) {
            try WordTokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
    }
}
