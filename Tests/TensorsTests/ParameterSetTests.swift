// ParameterSet: insertion order, replacement and removal, filtering and mapping, size
// accounting, and the compatibility check whose errors name the source, parameter and shapes.
import Testing
import Tensors

@Suite("Named parameter sets")
struct ParameterSetTests {
    let set = ParameterSet([("encoder.weight", Tensor.ones([2, 3])), ("encoder.bias", Tensor.zeros([3])),
                            ("head.lora_A", Tensor.arange(4).reshaped([1, 4]))])

    @Test func keepsInsertionOrderAndCounts() {
        #expect(set.names == ["encoder.weight", "encoder.bias", "head.lora_A"])
        #expect(set.count == 3 && !set.isEmpty && ParameterSet().isEmpty)
        #expect(set.scalarCount == 13)
        #expect(set.byteCount == 52)
        #expect(set.entries.map(\.name) == set.names)
        #expect(set["head.lora_A"]?.scalars == [0, 1, 2, 3])
        #expect(set["missing"] == nil)
    }

    @Test func replacingKeepsThePositionAndRemovingDropsTheName() {
        var copy = set
        copy["encoder.weight"] = Tensor.zeros([2, 3])
        #expect(copy.names == set.names)
        #expect(copy["encoder.weight"]?.scalars == [Float](repeating: 0, count: 6))
        #expect(set["encoder.weight"]?.scalars == [Float](repeating: 1, count: 6))   // value semantics
        copy["encoder.bias"] = nil
        #expect(copy.names == ["encoder.weight", "head.lora_A"])
        copy["new"] = Tensor(1)
        #expect(copy.names.last == "new")
        #expect(copy != set)
    }

    @Test func filterAndMapKeepNamesAndOrder() {
        let lora = set.filter { $0.contains("lora") }
        #expect(lora.names == ["head.lora_A"])
        let doubled = set.mapTensors { _, tensor in tensor * 2 }
        #expect(doubled.names == set.names)
        #expect(doubled["head.lora_A"]?.scalars == [0, 2, 4, 6])
        #expect(set.isFinite)
        #expect(!set.mapTensors { _, t in t / 0 }.isFinite)       // 0/0 = NaN, 1/0 = inf
    }

    @Test func compatibilityErrorsNameTheProblem() throws {
        try set.validateCompatible(with: set.mapTensors { _, t in t + 1 }, context: "update from client 3")
        var missing = set
        missing["encoder.bias"] = nil
        missing["extra"] = Tensor(0)
        do {
            try set.validateCompatible(with: missing, context: "update from client 3")
            Issue.record("expected an error for differing names")
        } catch let error as TensorError {
            #expect(error.description.contains("update from client 3"))
            #expect(error.description.contains("encoder.bias") && error.description.contains("extra"))
        }
        var reshaped = set
        reshaped["encoder.bias"] = Tensor.zeros([4])
        do {
            try set.validateCompatible(with: reshaped, context: "client 1")
            Issue.record("expected an error for a shape mismatch")
        } catch let error as TensorError {
            #expect(error.description.contains("encoder.bias") && error.description.contains("[4]")
                    && error.description.contains("[3]"))
        }
    }
}
