// The data the pretraining stages read: images with captions (contrastive vision training,
// connector alignment, unified-decoder alignment, the image tokenizer) and conversation text
// (language-model training), drawn from the same generators as the federated datasets but from
// a different random stream, so no federated sample is seen before fine-tuning.
//
// Seed rule (also in Docs/Models.md, "Pretraining"): a federated experiment with seed s uses the
// synthetic datasets generated with seed s; pretraining for that experiment generates its corpus
// with seed s XOR `PretrainingCorpus.seedMask`. Because the mask sets high bits, the corpus seed
// never equals the seed of an experiment with a seed below 2^48, and every generated sample comes
// from a stream derived from (seed, dataset, split, index). On top of the seed rule the corpus
// is checked against the federated samples by content: a corpus sample whose image equals any
// federated image (train or test) is dropped, and `assertDisjoint` throws if one remains.

import Datasets
import Foundation

/// Errors of the pretraining pipeline a user can cause (bad data, a leaking corpus, bad settings).
public struct PretrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Images, captions and text for the pretraining stages.
public struct PretrainingCorpus: Sendable {
    /// XOR-ed into an experiment's seed to get the corpus seed (the bytes spell "PRETRAIN").
    public static let seedMask: UInt64 = 0x5052_4554_5241_494E

    /// The instruction of every alignment sample (LLaVA's first stage asks for a brief description).
    public static let captionInstruction = "Describe the image briefly."

    /// The corpus seed for an experiment seed (see the file header).
    public static func corpusSeed(forExperimentSeed seed: UInt64) -> UInt64 { seed ^ seedMask }

    /// The samples the corpus was built from (after removing overlaps), in source order.
    public private(set) var samples: [Sample]
    /// One alignment sample per distinct image: prompt "<image>\nDescribe the image briefly.",
    /// answer the image's caption. Used by the contrastive, connector and unified-decoder stages.
    public private(set) var captionSamples: [Sample]
    /// The rendered conversation of every sample ("<system> USER: <question> ASSISTANT: <answer>"),
    /// without the `<image>` placeholder: the language model's training text.
    public private(set) var texts: [String]
    /// Distinct images of the corpus (what the image tokenizer trains on).
    public var images: [Image] { captionSamples.map(\.image) }
    /// Samples dropped because their image equals an excluded (federated) image.
    public private(set) var removedOverlaps: Int

    /// Builds the corpus from `samples`, leaving out every sample whose image appears in `excluded`.
    /// - Parameters:
    ///   - samples: pretraining samples (e.g. the synthetic datasets generated with the corpus seed).
    ///   - excluded: samples pretraining must never see (the federated train and test splits).
    ///   - template: renders conversations into language-model text.
    /// - Throws: `PretrainingError` when no sample remains or a sample has no answer.
    public init(samples: [Sample], excluding excluded: [Sample] = [], template: ConversationTemplate = .reference) throws {
        let forbidden = Set(excluded.map(\.image))
        let kept = samples.filter { !forbidden.contains($0.image) }
        guard !kept.isEmpty else {
            throw PretrainingError("PretrainingCorpus: none of the \(samples.count) samples remains after removing \(samples.count - kept.count) whose images are federated images")
        }
        if let empty = kept.first(where: { $0.answer.isEmpty }) {
            throw PretrainingError("PretrainingCorpus: sample \(empty.id) has no gpt turn to learn from")
        }
        self.samples = kept
        removedOverlaps = samples.count - kept.count
        texts = kept.map { Self.renderedText($0, template: template) }

        // One caption per distinct image; samples that share an image (Fed-Nature's four tasks per
        // scene) take the caption of their captioning sibling.
        var siblingCaptions: [String: String] = [:]
        for sample in kept where sample.task == .captioning || sample.task == .reportGeneration {
            if let imageID = sample.attributes["image_id"] { siblingCaptions[imageID] = sample.answer }
        }
        var seen = Set<Image>()
        var captions: [Sample] = []
        for sample in kept where seen.insert(sample.image).inserted {
            let caption = Self.caption(for: sample, siblingCaptions: siblingCaptions)
            captions.append(Sample(id: "\(sample.id)-caption", image: sample.image,
                                   conversations: [Turn(from: "human", value: "\(imagePlaceholder)\n\(Self.captionInstruction)"),
                                                   Turn(from: "gpt", value: caption)],
                                   task: .captioning, category: sample.category, attributes: sample.attributes))
        }
        captionSamples = captions
    }

    /// Throws when any corpus image (or alignment image) equals an image of `samples`.
    /// - Throws: `PretrainingError` naming up to five leaking corpus samples and the samples they match.
    public func assertDisjoint(from samples: [Sample]) throws {
        var owners: [Image: String] = [:]
        for sample in samples where owners[sample.image] == nil { owners[sample.image] = sample.id }
        let leaks = (self.samples + captionSamples).compactMap { sample in owners[sample.image].map { (sample.id, $0) } }
        if !leaks.isEmpty {
            let listed = leaks.prefix(5).map { "\($0.0) = \($0.1)" }.joined(separator: ", ")
            throw PretrainingError("pretraining corpus leaks \(leaks.count) federated image(s): \(listed)")
        }
    }

    /// "<system> USER: <question> ASSISTANT: <answer>" with the `<image>` placeholder removed (the
    /// language model learns text; image features or codes take the placeholder's place later).
    public static func renderedText(_ sample: Sample, template: ConversationTemplate = .reference) -> String {
        let question = sample.prompt.replacingOccurrences(of: imagePlaceholder, with: "")
        return template.promptText(question) + " " + sample.answer
    }

    /// A caption describing what is drawn, from the sample's own text or metadata:
    /// 1. captioning and report samples: their answer;
    /// 2. samples sharing an image (`image_id`) with a captioning sample: that caption;
    /// 3. aircraft (wing, engines, tail parts): "An aircraft with swept wings, four engines under
    ///    the wings and a straight tail." The manufacturer, which the classification task asks
    ///    for, is deliberately not named: captions describe what is drawn, and mapping parts to a
    ///    manufacturer is left to fine-tuning, as fine-grained labels are rare in web captions;
    /// 4. medical images: "A CT image of the chest." (modality and body part) or "A CT slice
    ///    showing the heart." (modality and organ) or "A CT image." (modality);
    /// 5. otherwise "A photo of <category>."
    public static func caption(for sample: Sample, siblingCaptions: [String: String] = [:]) -> String {
        let attributes = sample.attributes
        if sample.task == .captioning || sample.task == .reportGeneration { return sample.answer }
        if let imageID = attributes["image_id"], let caption = siblingCaptions[imageID] { return caption }
        if let wing = attributes["wing"], let engines = attributes["engines"], let tail = attributes["tail"] {
            return "An aircraft with \(wing) wings, \(enginePhrase(engines)) and a \(tail) tail."
        }
        if let modality = attributes["modality"] {
            if let part = attributes["body_part"] { return "A \(modality) image of the \(part.lowercased())." }
            if let organ = attributes["organ"] { return "A \(modality) slice showing the \(organ.lowercased())." }
            return "A \(modality) image."
        }
        if let object = attributes["object_class"] {
            let colour = attributes["object_colour"].map { "\($0) " } ?? ""
            return "A photo of a \(colour)\(object)."
        }
        return "A photo of \(sample.category)."
    }

    /// "two-wing" -> "two engines under the wings", "two-rear" -> "two engines at the rear".
    static func enginePhrase(_ layout: String) -> String {
        let parts = layout.split(separator: "-").map(String.init)
        guard parts.count == 2 else { return "\(layout) engines" }
        switch parts[1] {
        case "wing": return "\(parts[0]) engines under the wings"
        case "rear": return "\(parts[0]) engines at the rear"
        default: return "\(parts[0]) engines at the \(parts[1])"
        }
    }
}

/// Where pretraining data comes from: the corpus samples for an experiment seed, the federated
/// samples they must not overlap, and text whose words the tokenizer must know.
public struct PretrainingDataSource: Sendable {
    /// Recorded in the cache manifest; a cache built from another source is rebuilt.
    public var name: String
    /// (experiment seed, budget) -> (corpus samples, federated samples to exclude).
    public var load: @Sendable (_ experimentSeed: UInt64, _ budget: PretrainingBudget) throws -> PretrainingData

    public init(name: String, load: @escaping @Sendable (UInt64, PretrainingBudget) throws -> PretrainingData) {
        self.name = name
        self.load = load
    }

    /// The six synthetic datasets (`SyntheticDatasetKind`) at `ModelSize.imageSize` pixels: the
    /// corpus takes `budget.corpusSamplesPerDataset` train samples of each, generated with the
    /// corpus seed; the federated samples are the train and test splits of the `full` preset
    /// generated with the experiment seed (every smaller preset is a prefix of it), so the
    /// corpus is disjoint from whichever preset an experiment uses, and the tokenizer knows
    /// every word any preset contains. (v2: the tokenizer also knows Fed-FashionMNIST's words;
    /// caches built by v1 are rebuilt.)
    public static let synthetic = PretrainingDataSource(name: "synthetic-v2") { seed, budget in
        let corpusSeed = PretrainingCorpus.corpusSeed(forExperimentSeed: seed)
        var corpus: [Sample] = []
        var federated: [Sample] = []
        for kind in SyntheticDatasetKind.allCases {
            corpus += try kind.generate(trainCount: budget.corpusSamplesPerDataset, testCount: 0, seed: corpusSeed,
                                        imageSize: ModelSize.imageSize).train
            let full = try kind.generate(preset: .full, seed: seed, imageSize: ModelSize.imageSize)
            federated += full.train + full.test
        }
        return PretrainingData(corpusSamples: corpus, federatedSamples: federated)
    }
}

/// What a `PretrainingDataSource` provides.
public struct PretrainingData: Sendable {
    /// Samples pretraining may learn from.
    public var corpusSamples: [Sample]
    /// Samples of the federated experiments (train and test): excluded from the corpus, and their
    /// text goes into the tokenizer's vocabulary so federated data encodes without `<unk>`.
    public var federatedSamples: [Sample]

    public init(corpusSamples: [Sample], federatedSamples: [Sample]) {
        self.corpusSamples = corpusSamples
        self.federatedSamples = federatedSamples
    }

    /// The word-level tokenizer of a pretrained model: built from the corpus text, the captions,
    /// the template's fixed text and every federated prompt and answer. Federated text only
    /// decides which words have ids (no sample's content is learned from it).
    public func tokenizer(corpus: PretrainingCorpus, template: ConversationTemplate = .reference) -> WordTokenizer {
        let text = corpus.texts + corpus.captionSamples.flatMap { [$0.prompt, $0.answer] }
            + federatedSamples.flatMap { $0.conversations.map(\.value) }
            + [template.promptText("")]
            // Fed-FashionMNIST's fixed question and answers (constants, so the vocabulary does not
            // depend on whether the Debian package is installed).
            + FashionMNIST.conversations.flatMap { $0.map(\.value) }
        return WordTokenizer(corpus: text)
    }
}
