// What the federated runtime needs from a vision-language model, whatever its architecture.

import Autograd
import Datasets
import NN
import Tensors

/// The two architectures the paper compares.
public enum Architecture: String, Codable, Sendable, CaseIterable {
    /// LLaVA layout: frozen vision encoder -> connector -> language model.
    case encoderBased = "encoder-based"
    /// Show-o layout: discrete image tokens and text in one decoder.
    case encoderFree = "encoder-free"
}

/// A model that reads an image and a prompt and writes an answer.
public protocol VisionLanguageModel: Module {
    var architecture: Architecture { get }
    var tokenizer: any TextTokenizer { get }
    var template: ConversationTemplate { get }

    /// Mean cross-entropy over the answer tokens (and closing `</s>`) of `samples`.
    func loss(_ samples: [Sample]) throws -> Variable

    /// The reference evaluation: the argmax token at each answer position while the gold
    /// prefix is fed, decoded to text (the closing `</s>` position is not part of the text).
    func teacherForcedAnswers(_ samples: [Sample]) throws -> [String]

    /// What a deployed model says: decoding from the prompt alone.
    func generateAnswers(_ samples: [Sample], options: GenerationOptions) throws -> [String]

    /// Names of the parameters in the given group (see `ParameterGroup`).
    func parameterNames(in group: ParameterGroup) -> [String]
}

/// Groups of parameters that fine-tuning strategies select.
public enum ParameterGroup: String, Codable, Sendable {
    /// The connector (encoder-based only).
    case connector
    /// LoRA adapters on the language model / unified decoder.
    case languageModelLoRA = "llm_lora"
    /// Everything else (frozen in every strategy).
    case frozenBase = "frozen_base"
}

extension VisionLanguageModel {
    /// The answer tokens decoded from ids up to (not including) the first `</s>`.
    public func decodeAnswer(_ ids: [Int]) -> String {
        let eos = tokenizer.specialTokens.eos
        let cut = ids.firstIndex(of: eos).map { Array(ids[..<$0]) } ?? ids
        // A model whose vocabulary is larger than the tokenizer's can emit ids the tokenizer
        // does not know; they read as <unk> rather than crashing the decoder.
        let known = tokenizer.vocabularySize, unknown = tokenizer.specialTokens.unknown
        return tokenizer.decode(cut.map { $0 < known && $0 >= 0 ? $0 : unknown })
    }

    /// Parameter names of the given groups as a set.
    public func names(in groups: [ParameterGroup]) -> Set<String> {
        Set(groups.flatMap { parameterNames(in: $0) })
    }
}
