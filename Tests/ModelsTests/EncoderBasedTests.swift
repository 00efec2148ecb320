import Autograd
import Datasets
import Foundation
import LoRAAdapters
import Models
import NN
import Tensors
import Testing

@Suite struct EncoderBasedVLMTests {
    @Test func parameterNamesFollowCheckpointConventions() throws {
        let model = try ModelFixtures.encoderBasedModel(samples: ModelFixtures.colourSamples())
        let names = Set(model.namedParameters().map(\.0))
        #expect(names.contains("vision_tower.embeddings.patch_embedding"))
        #expect(names.contains("vision_tower.layers.0.self_attn.q_proj.weight"))
        #expect(names.contains("connector.layers.0.weight"))
        #expect(names.contains("connector.layers.2.weight"))
        #expect(names.contains("language_model.layers.1.self_attn.q_proj.lora_A"))
        #expect(names.contains("language_model.layers.1.mlp.down_proj.lora_B"))
        #expect(!names.contains("language_model.lm_head.lora_A"))
        #expect(model.parameterNames(in: .connector).allSatisfy { $0.hasPrefix("connector.") })
        #expect(model.parameterNames(in: .languageModelLoRA).count == 2 * 2 * 7)   // 2 layers x 7 Linear x (A, B)
    }

    @Test func overfitsFourSamplesTeacherForcedAndGenerated() throws {
        let samples = ModelFixtures.colourSamples()
        let model = try ModelFixtures.encoderBasedModel(samples: samples)
        let trainable = model.names(in: [.connector, .languageModelLoRA])
        model.freeze()
        model.unfreeze { trainable.contains($0) }
        let optimizer = AdamW(learningRate: 1e-2, weightDecay: 0)
        var losses: [Float] = []
        for _ in 0..<80 {
            let loss = try model.loss(samples)
            model.zeroGradients()
            loss.backward()
            optimizer.step(model.trainableParameters())
            losses.append(loss.value.scalar)
        }
        model.eval()
        // The frozen, randomly initialised head bounds how peaked the distribution can get
        // (logits reach only a few units), so the test asks for a clear drop, not a near-zero loss.
        #expect(losses.last! < losses.first! / 3)
        let answers = samples.map(\.answer)
        #expect(try model.teacherForcedAnswers(samples) == answers)
        #expect(try model.generateAnswers(samples, options: GenerationOptions(maxNewTokens: 12)) == answers)
    }

    @Test func kvCacheDecodingMatchesFullSequence() throws {
        let samples = ModelFixtures.colourSamples()
        let model = try ModelFixtures.encoderBasedModel(samples: samples, seed: 3)
        model.eval()
        let lm = model.languageModel
        var generator = RandomGenerator(seed: 5)
        let ids = (0..<12).map { _ in Int32(generator.next() % UInt64(lm.config.vocabularySize)) }
        let full = withoutGradients { lm(IndexTensor(shape: [1, 12], values: ids)).value }     // [1, 12, V]
        let cache = lm.makeCache()
        for t in 0..<12 {
            let step = withoutGradients { lm(IndexTensor(shape: [1, 1], values: [ids[t]]), cache: cache).value }
            let expected = full.sliced(axis: 1, t..<(t + 1)).scalars
            let difference = zip(step.scalars, expected).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-4, "position \(t): \(difference)")
        }
    }

    @Test func laterTokensNeverChangeEarlierLogits() throws {
        let model = try ModelFixtures.encoderBasedModel(samples: ModelFixtures.colourSamples(), seed: 4)
        let lm = model.languageModel
        let a: [Int32] = [1, 5, 6, 7, 8, 9, 10, 11]
        var b = a
        b[6] = 12
        let la = withoutGradients { lm(IndexTensor(shape: [1, 8], values: a)).value }
        let lb = withoutGradients { lm(IndexTensor(shape: [1, 8], values: b)).value }
        #expect(la.sliced(axis: 1, 0..<6).scalars == lb.sliced(axis: 1, 0..<6).scalars)
        #expect(la.sliced(axis: 1, 6..<8).scalars != lb.sliced(axis: 1, 6..<8).scalars)
    }

    @Test func loraStartsAsBaseAndMergesExactly() throws {
        let samples = ModelFixtures.colourSamples()
        let model = try ModelFixtures.encoderBasedModel(samples: samples, seed: 9)
        model.eval()
        let ids = IndexTensor(shape: [1, 6], values: [1, 5, 6, 7, 8, 9])
        let base = withoutGradients { model.languageModel(ids).value.scalars }
        // B = 0 at init: adapted == base exactly; compare with adapters detached.
        let adapters = LoRA.adapters(in: model.languageModel)
        let linears = model.languageModel.namedModules().compactMap { $0.1 as? Linear }.filter { $0.adapter != nil }
        for linear in linears { linear.adapter = nil }
        let plain = withoutGradients { model.languageModel(ids).value.scalars }
        #expect(base == plain)
        for (linear, (_, adapter)) in zip(linears, adapters) { linear.adapter = adapter }
        // Give B non-zero values, then compare merged and unmerged outputs.
        var generator = RandomGenerator(seed: 11)
        for (_, adapter) in adapters { adapter.loraB.value = .randomNormal(adapter.loraB.shape, std: 0.05, using: &generator) }
        let unmerged = withoutGradients { model.languageModel(ids).value.scalars }
        try LoRA.merge(model.languageModel)
        let merged = withoutGradients { model.languageModel(ids).value.scalars }
        LoRA.unmerge(model.languageModel)
        let restored = withoutGradients { model.languageModel(ids).value.scalars }
        #expect(zip(unmerged, merged).map { abs($0 - $1) }.max()! < 1e-5)
        #expect(zip(unmerged, restored).map { abs($0 - $1) }.max()! < 1e-5)
        #expect(unmerged != base)
    }

    @Test(arguments: [FineTuningStrategy.connectorOnly, .languageModelLoRA, .connectorAndLoRA, .twoStage(connectorFraction: 0.5)])
    func oneStepChangesOnlyTheTrainableSet(strategy: FineTuningStrategy) throws {
        let samples = ModelFixtures.colourSamples()
        let model = try ModelFixtures.encoderBasedModel(samples: samples, seed: 2)
        for round in [1, 4] {
            let groups = strategy.trainableGroups(round: round, totalRounds: 4)
            let trainable = model.names(in: groups)
            model.freeze()
            model.unfreeze { trainable.contains($0) }
            let before = model.parameterSet()
            // Two steps: with lora_B = 0 at the start, lora_A's first gradient is exactly zero.
            let optimizer = AdamW(learningRate: 1e-2, weightDecay: 0)
            for _ in 0..<2 {
                let loss = try model.loss(samples)
                model.zeroGradients()
                loss.backward()
                optimizer.step(model.trainableParameters())
            }
            let after = model.parameterSet()
            for name in before.names {
                let changed = before[name]! != after[name]!
                #expect(changed == trainable.contains(name), "\(strategy) round \(round): \(name) changed=\(changed)")
            }
            let communicated = model.parameterSet { trainable.contains($0) }
            #expect(Set(communicated.names) == trainable)
            let expectedGroups: Set<ParameterGroup> = {
                switch strategy {
                case .connectorOnly: return [.connector]
                case .languageModelLoRA: return [.languageModelLoRA]
                case .connectorAndLoRA: return [.connector, .languageModelLoRA]
                case .twoStage: return round <= 2 ? [.connector] : [.languageModelLoRA]
                }
            }()
            #expect(Set(groups) == expectedGroups)
        }
    }

    @Test func badInputsAreErrorsNamingTheSample() throws {
        let samples = ModelFixtures.colourSamples()
        let model = try ModelFixtures.encoderBasedModel(samples: samples)
        var wrongSize = samples[0]
        wrongSize.image = Image(channels: 3, height: 16, width: 16, fill: 0.5)
        #expect { try model.loss([wrongSize]) } throws: { "\($0)".contains("colour-0") && "\($0)".contains("[3, 16, 16]") }
        var noImage = samples[1]
        noImage.conversations[0].value = "What colour is the image?"
        #expect { try model.loss([noImage]) } throws: { "\($0)".contains("colour-1") && "\($0)".contains("found 0") }
        var twoImages = samples[2]
        twoImages.conversations[0].value = "<image> <image> What colour?"
        #expect { try model.loss([twoImages]) } throws: { "\($0)".contains("colour-2") && "\($0)".contains("found 2") }
        var longAnswer = samples[3]
        longAnswer.conversations[1].value = Array(repeating: "The answer is yellow.", count: 30).joined(separator: " ")
        #expect { try model.loss([longAnswer]) } throws: { "\($0)".contains("colour-3") && "\($0)".contains("exceed the context") }
        #expect { try ConnectorSpec(parsing: "mlp2x_relu") } throws: { "\($0)".contains("mlp2x_relu") && "\($0)".contains("mlp{N}x_gelu") }
        let tokenizer = ModelFixtures.tokenizer(for: samples)
        var config = ModelFixtures.encoderBasedConfig(vocabulary: tokenizer.vocabularySize)
        config.lora = LoRAConfigurationBox(LoRAConfiguration(targetModules: ["qkv_proj"]))
        #expect { try EncoderBasedVLM(config: config, tokenizer: tokenizer, seed: 1) } throws: { "\($0)".contains("qkv_proj") }
    }
}
