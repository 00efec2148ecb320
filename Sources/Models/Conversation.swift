// The reference conversation template and tokenisation of samples into model sequences.
//
// Rendered text (LLaVA v1 style, as the reference benchmark uses):
//   "<system> USER: <human turn, with <image>> ASSISTANT: <answer></s>"
// The loss covers only the answer tokens and the closing </s>.

import Datasets
import NN

/// The system line and role names of the prompt.
public struct ConversationTemplate: Codable, Sendable, Equatable {
    public var system: String
    public var userRole: String
    public var assistantRole: String

    /// The reference benchmark's system line and roles.
    public static let reference = ConversationTemplate(
        system: "You are a language vision assistant. Based on the image, question, context, and options, please give an appropriate response, including your choice.",
        userRole: "USER", assistantRole: "ASSISTANT")

    public init(system: String, userRole: String, assistantRole: String) {
        self.system = system
        self.userRole = userRole
        self.assistantRole = assistantRole
    }

    /// Everything before the answer: "<system> USER: <prompt> ASSISTANT:".
    public func promptText(_ humanTurn: String) -> String {
        "\(system) \(userRole): \(humanTurn) \(assistantRole):"
    }
}

/// A sample as token ids: `<bos>` prompt answer `</s>`, with the single `<image>` placeholder located.
public struct TokenizedSample: Sendable, Equatable {
    public var id: String
    public var ids: [Int]
    /// Index in `ids` of the `<image>` placeholder.
    public var imagePosition: Int
    /// Index in `ids` of the first answer token (== ids.count - 1 when the answer is empty).
    public var answerStart: Int
}

/// Errors building model inputs from samples; each names the sample.
public struct ModelInputError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ConversationTemplate {
    /// Tokenises `sample`: exactly one `<image>` in its first human turn is required.
    /// - Parameter includeAnswer: false for generation prompts (ids end after "ASSISTANT:").
    public func tokenize(_ sample: Sample, tokenizer: any TextTokenizer, includeAnswer: Bool = true) throws -> TokenizedSample {
        let human = sample.prompt
        let placeholderCount = human.components(separatedBy: imagePlaceholder).count - 1
        guard placeholderCount == 1 else {
            throw ModelInputError("sample \(sample.id): the prompt must contain exactly one \(imagePlaceholder), found \(placeholderCount)")
        }
        let prompt = [tokenizer.specialTokens.bos] + tokenizer.encode(promptText(human))
        let imageId = tokenizer.specialTokens.image
        let positions = prompt.indices.filter { prompt[$0] == imageId }
        guard positions.count == 1 else {
            throw ModelInputError("sample \(sample.id): tokenised prompt has \(positions.count) image tokens; the tokenizer must keep \(imagePlaceholder) as one special token")
        }
        let answer = includeAnswer ? tokenizer.encode(sample.answer) + [tokenizer.specialTokens.eos] : []
        return TokenizedSample(id: sample.id, ids: prompt + answer, imagePosition: positions[0], answerStart: prompt.count)
    }
}

/// Options for autoregressive decoding.
public struct GenerationOptions: Sendable, Equatable, Codable {
    /// Most new tokens per sample.
    public var maxNewTokens: Int
    /// 0 means greedy (argmax); otherwise logits are divided by it before sampling.
    public var temperature: Float
    /// Keep only the k most likely tokens when sampling (0 = all).
    public var topK: Int
    /// Seed of the sampling stream (unused when greedy).
    public var seed: UInt64

    public init(maxNewTokens: Int = 32, temperature: Float = 0, topK: Int = 0, seed: UInt64 = 0) {
        self.maxNewTokens = maxNewTokens
        self.temperature = temperature
        self.topK = topK
        self.seed = seed
    }
}
