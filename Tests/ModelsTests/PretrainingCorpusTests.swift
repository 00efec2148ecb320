// The pretraining corpus: captions from samples, no federated image inside, the seed rule,
// and a tokenizer that covers the federated text.

import Datasets
import Foundation
@testable import Models
import Testing

@Suite struct PretrainingCorpusTests {
    static func generated(_ kind: SyntheticDatasetKind, count: Int = 8, seed: UInt64 = 0) throws -> [Sample] {
        try kind.generate(trainCount: count, testCount: 0, seed: seed, imageSize: 32).train
    }

    @Test func captionsDescribeWhatIsDrawn() throws {
        // Aircraft: the parts, never the manufacturer the classification task asks for.
        for sample in try Self.generated(.fgvc) {
            let caption = PretrainingCorpus.caption(for: sample)
            #expect(caption.hasPrefix("An aircraft with \(sample.attributes["wing"]!) wings"))
            #expect(caption.hasSuffix("and a \(sample.attributes["tail"]!) tail."))
            #expect(!caption.contains(sample.category), "\(caption) names \(sample.category)")
        }
        // Captioning and reports: their own answer.
        for sample in try Self.generated(.scienceCap) + Self.generated(.med) where sample.task != .vqa && sample.task != .grounding {
            #expect(PretrainingCorpus.caption(for: sample) == sample.answer)
        }
        // Medical metadata.
        let slake = try Self.generated(.slake)[0]
        #expect(PretrainingCorpus.caption(for: slake) == "A \(slake.attributes["modality"]!) image of the \(slake.attributes["body_part"]!.lowercased()).")
        let radGenome = try Self.generated(.radGenome)[0]
        #expect(PretrainingCorpus.caption(for: radGenome) == "A CT slice showing the \(radGenome.category).")
        // The fallback.
        let plain = Sample(id: "x", image: Image(channels: 3, height: 2, width: 2), conversations: [], task: .classification,
                           category: "kite")
        #expect(PretrainingCorpus.caption(for: plain) == "A photo of kite.")
        #expect(PretrainingCorpus.enginePhrase("two-rear") == "two engines at the rear")
        #expect(PretrainingCorpus.enginePhrase("four-wing") == "four engines under the wings")
    }

    @Test func oneCaptionSamplePerImageAndSiblingsShareTheCaption() throws {
        // Fed-Nature gives four samples (VQA, captioning, grounding, classification) per scene.
        let nature = try Self.generated(.nature, count: 8)
        let corpus = try PretrainingCorpus(samples: nature)
        #expect(corpus.samples.count == 8)
        #expect(corpus.captionSamples.count == 2)
        let captioning = nature.filter { $0.task == .captioning }
        #expect(corpus.captionSamples.map(\.answer) == captioning.map(\.answer))
        for sample in corpus.captionSamples {
            #expect(sample.prompt == "<image>\n" + PretrainingCorpus.captionInstruction)
        }
        // The language model's text: the template's rendering without the placeholder.
        #expect(corpus.texts.count == 8)
        #expect(corpus.texts.allSatisfy { !$0.contains("<image>") && $0.hasPrefix(ConversationTemplate.reference.system) })
        #expect(corpus.texts[0].hasSuffix("ASSISTANT: \(nature[0].answer)"))
        #expect(corpus.images.count == 2)
    }

    @Test func federatedImagesAreRemovedAndLeaksAreReported() throws {
        let samples = try Self.generated(.fgvc, count: 10)
        let federated = [samples[2], samples[7]]
        let corpus = try PretrainingCorpus(samples: samples, excluding: federated)
        #expect(corpus.removedOverlaps == 2)
        #expect(!corpus.samples.contains { $0.id == samples[2].id || $0.id == samples[7].id })
        try corpus.assertDisjoint(from: federated)

        // A corpus built without the exclusion leaks, and the error names both sides.
        let leaking = try PretrainingCorpus(samples: samples)
        do {
            try leaking.assertDisjoint(from: federated)
            Issue.record("expected a leak to be reported")
        } catch let error as PretrainingError {
            #expect(error.description.contains("\(samples[2].id) = \(samples[2].id)"))
        }
        // Everything excluded: an error, not an empty corpus.
        #expect(throws: PretrainingError.self) { try PretrainingCorpus(samples: federated, excluding: federated) }
    }

    @Test func corpusSeedIsDisjointFromExperimentSeeds() throws {
        #expect(PretrainingCorpus.corpusSeed(forExperimentSeed: 0) == 0x5052_4554_5241_494E)
        #expect(PretrainingCorpus.corpusSeed(forExperimentSeed: 7) == 7 ^ 0x5052_4554_5241_494E)
        // Experiment seeds below 2^48 never meet a corpus seed.
        for seed: UInt64 in [0, 1, 2, 42, 1 << 40] {
            #expect(PretrainingCorpus.corpusSeed(forExperimentSeed: seed) >= 1 << 48)
        }
        // The real generators: a corpus for experiment seed 1 shares no image with its smoke sets.
        let data = try PretrainingFixtures.syntheticSource(perDataset: 6).load(1, .smoke)
        let corpus = try PretrainingCorpus(samples: data.corpusSamples, excluding: data.federatedSamples)
        #expect(corpus.removedOverlaps == 0)
        try corpus.assertDisjoint(from: data.federatedSamples)
        #expect(Set(corpus.samples.map(\.task)) == Set(TaskKind.allCases))
    }

    @Test func tokenizerCoversFederatedText() throws {
        let data = try PretrainingFixtures.syntheticSource(perDataset: 2).load(3, .smoke)
        let corpus = try PretrainingCorpus(samples: data.corpusSamples, excluding: data.federatedSamples)
        let tokenizer = data.tokenizer(corpus: corpus)
        let unknown = tokenizer.specialTokens.unknown
        for sample in data.federatedSamples {
            let ids = tokenizer.encode(ConversationTemplate.reference.promptText(sample.prompt) + " " + sample.answer)
            #expect(!ids.contains(unknown), "\(sample.id) has a word outside the vocabulary")
        }
        // Fed-FashionMNIST, which experiments can select, encodes without <unk> too.
        for turn in FashionMNIST.conversations.joined() {
            #expect(!tokenizer.encode(turn.value).contains(unknown), "\(turn.value)")
        }
    }
}
