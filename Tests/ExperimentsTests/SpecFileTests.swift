// Spec files in JSON and YAML: the format follows the extension, both go through the same
// strict decoding, errors name the file (and for YAML syntax, the line and column), and a
// written spec reads back equal.

import Experiments
import Foundation
import Testing

@Suite struct SpecFileTests {
    /// A fresh directory under the system's temporary directory.
    static func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fedvlm-spec-files-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` to `name` in `directory` and returns its URL.
    static func write(_ text: String, named name: String, in directory: URL) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    /// The message of the error `body` throws, or nil if it does not throw.
    static func message(_ body: () throws -> Void) -> String? {
        do { try body() } catch { return "\(error)" }
        return nil
    }

    /// A spec with every key set to a value other than its default.
    static var everyKeySet: ExperimentSpec {
        var spec = ExperimentSpec()
        spec.architecture = .encoderFree
        spec.modelSize = .small
        spec.connector = "mlp6x_gelu"
        spec.strategy = "F-L"
        spec.twoStageConnectorFraction = 0.25
        spec.algorithm = "fedadam"
        spec.algorithmOptions = ["eta": 0.001, "tau": 1e-9]
        spec.convention = .flower
        spec.dataset = "fed-nature"
        spec.partition = .dirichlet
        spec.dirichletAlpha = 0.1
        spec.clients = 3
        spec.rounds = 12
        spec.localEpochs = 2  // exclusive with localSteps in validate(), but both are written
        spec.localSteps = 5
        spec.batchSize = 4
        spec.learningRate = 1e-4
        spec.minimumLearningRate = 3e-6
        spec.cosineSchedule = false
        spec.evaluation = .generated
        spec.seed = UInt64.max
        spec.preset = .smoke
        return spec
    }

    @Test func yamlFileGivesTheSameSpecAsItsJSONTwin() throws {
        let directory = try Self.scratchDirectory()
        let json = try Self.write(#"""
            {"dataset": "fed-fgvc", "partition": "non-iid", "clients": 5, "algorithm": "fedprox",
             "algorithmOptions": {"mu": 0.01}, "learningRate": 1e-4, "cosineSchedule": false,
             "localSteps": 3, "evaluation": "generated", "seed": 42, "preset": "smoke"}
            """#, named: "spec.json", in: directory)
        let yaml = try Self.write("""
            # the same experiment
            dataset: fed-fgvc
            partition: non-iid
            clients: 5
            algorithm: fedprox
            algorithmOptions:
              mu: 0.01
            learningRate: 1e-4
            cosineSchedule: false
            localSteps: 3
            evaluation: generated
            seed: 42
            preset: smoke
            """, named: "spec.yaml", in: directory)
        let fromJSON = try ExperimentSpec.load(from: json)
        let fromYAML = try ExperimentSpec.load(from: yaml)
        #expect(fromYAML == fromJSON)
        #expect(fromYAML.dataset == "fed-fgvc" && fromYAML.partition == .nonIID && fromYAML.clients == 5)
        #expect(fromYAML.algorithmOptions == ["mu": 0.01] && fromYAML.learningRate == Float(1e-4))
        #expect(!fromYAML.cosineSchedule && fromYAML.localSteps == 3 && fromYAML.evaluation == .generated)
        #expect(fromYAML.seed == 42 && fromYAML.preset == .smoke)
        // Keys the file leaves out keep their defaults.
        #expect(fromYAML.strategy == "F-CL" && fromYAML.batchSize == 8 && fromYAML.rounds == nil)
        try fromYAML.validate()
    }

    @Test func ymlExtensionIsYAMLAndExtensionsAreCaseInsensitive() throws {
        let directory = try Self.scratchDirectory()
        let yml = try Self.write("algorithm: fedavgm\nalgorithmOptions: {momentum: 0.9}\n", named: "spec.yml", in: directory)
        let spec = try ExperimentSpec.load(from: yml)
        #expect(spec.algorithm == "fedavgm" && spec.algorithmOptions == ["momentum": 0.9])
        let upper = try Self.write("rounds: 3\n", named: "SPEC.YAML", in: directory)
        #expect(try ExperimentSpec.load(from: upper).rounds == 3)
        #expect(try SpecFileFormat(of: URL(fileURLWithPath: "a/b.Yml")) == .yaml)
        #expect(try SpecFileFormat(of: URL(fileURLWithPath: "a/b.json")) == .json)
    }

    @Test func unknownExtensionNamesTheFileAndTheValidOnes() throws {
        let directory = try Self.scratchDirectory()
        let toml = try Self.write("dataset = \"fed-fgvc\"\n", named: "spec.toml", in: directory)
        let message = try #require(Self.message { _ = try ExperimentSpec.load(from: toml) })
        #expect(message == "\(toml.path): a spec file has the unknown extension '.toml'; valid: .json, .yaml, .yml")
        let bare = try Self.write("{}", named: "spec", in: directory)
        let bareMessage = try #require(Self.message { _ = try ExperimentSpec.load(from: bare) })
        #expect(bareMessage == "\(bare.path): a spec file has no extension; valid: .json, .yaml, .yml")
        // Writing checks the extension too.
        let written = directory.appendingPathComponent("out.txt")
        let writeMessage = try #require(Self.message { try ExperimentSpec().write(to: written) })
        #expect(writeMessage.hasPrefix("\(written.path): a spec file has the unknown extension '.txt'"))
        #expect(!FileManager.default.fileExists(atPath: written.path))
    }

    @Test func yamlTypoKeyIsRejectedLikeInJSON() throws {
        let directory = try Self.scratchDirectory()
        let yaml = try Self.write("dataset: fed-slake\nAlgorithm: fedavg\n", named: "typo.yaml", in: directory)
        let message = try #require(Self.message { _ = try ExperimentSpec.load(from: yaml) })
        #expect(message.hasPrefix("\(yaml.path): unknown key 'Algorithm' in experiment spec (did you mean 'algorithm'?); valid keys: "))
        #expect(message.contains("architecture, batchSize, clients, connector"))
        // The same words as the JSON form gives, after the file name.
        let jsonMessage = try #require(Self.message {
            _ = try ExperimentSpec.parse(#"{"dataset": "fed-slake", "Algorithm": "fedavg"}"#, format: .json)
        })
        #expect(message == "\(yaml.path): \(jsonMessage)")
        let misspelt = try #require(Self.message { _ = try ExperimentSpec.parse("datset: fed-fgvc", format: .yaml) })
        #expect(misspelt.hasPrefix("unknown key 'datset' in experiment spec; valid keys: algorithm, algorithmOptions, architecture"))
    }

    @Test func yamlTypeErrorsNameTheKey() throws {
        let directory = try Self.scratchDirectory()
        let yaml = try Self.write("dataset: fed-slake\nbatchSize: eight\n", named: "types.yaml", in: directory)
        let message = try #require(Self.message { _ = try ExperimentSpec.load(from: yaml) })
        #expect(message == "\(yaml.path): experiment spec key 'batchSize': expected a value of type Int")
        let rounds = try #require(Self.message { _ = try ExperimentSpec.parse("rounds: [1, 2]", format: .yaml) })
        #expect(rounds.hasPrefix("experiment spec key 'rounds': "))
        let partition = try #require(Self.message { _ = try ExperimentSpec.parse("partition: iidd", format: .yaml) })
        #expect(partition.hasPrefix("experiment spec key 'partition': "))
        #expect(partition.contains("iidd"))
        let options = try #require(Self.message { _ = try ExperimentSpec.parse("algorithmOptions: {mu: small}", format: .yaml) })
        #expect(options.hasPrefix("experiment spec key 'algorithmOptions': "))
    }

    @Test func malformedYAMLNamesTheFileLineAndColumn() throws {
        let directory = try Self.scratchDirectory()
        // The flow sequence on line 2 is never closed.
        let yaml = try Self.write("dataset: fed-slake\nalgorithmOptions: [mu\nrounds: 3\n", named: "broken.yaml", in: directory)
        let message = try #require(Self.message { _ = try ExperimentSpec.load(from: yaml) })
        #expect(message.hasPrefix("\(yaml.path): not valid YAML: line 3, column 7: "), "\(message)")
        // A tab used for indentation is a scanner error.
        let tab = try Self.write("algorithmOptions:\n\tmu: 0.1\n", named: "tab.yml", in: directory)
        let tabMessage = try #require(Self.message { _ = try ExperimentSpec.load(from: tab) })
        #expect(tabMessage.hasPrefix("\(tab.path): not valid YAML: line 2, column 1: "), "\(tabMessage)")
        // Malformed JSON names the file as before.
        let json = try Self.write(#"{"dataset": "fed-slake""#, named: "broken.json", in: directory)
        let jsonMessage = try #require(Self.message { _ = try ExperimentSpec.load(from: json) })
        #expect(jsonMessage.hasPrefix("\(json.path): not valid JSON: "), "\(jsonMessage)")
    }

    @Test func repeatedKeysAndNonMappingsAreErrors() throws {
        let repeated = try #require(Self.message {
            _ = try ExperimentSpec.parse("rounds: 3\ndataset: fed-slake\nrounds: 4\n", format: .yaml)
        })
        #expect(repeated == "key 'rounds' appears more than once in experiment spec")
        let list = try #require(Self.message { _ = try ExperimentSpec.parse("- dataset: fed-slake\n", format: .yaml) })
        #expect(list == "an experiment spec must be a mapping of keys to values, e.g. dataset: fed-fgvc")
        let empty = try #require(Self.message { _ = try ExperimentSpec.parse("# nothing yet\n", format: .yaml) })
        #expect(empty == list)
        #expect(try ExperimentSpec.parse("{}", format: .yaml) == ExperimentSpec())
    }

    @Test func writtenYAMLIsReadableAndReadsBackEqual() throws {
        let spec = Self.everyKeySet
        let yaml = try spec.yamlText()
        #expect(try ExperimentSpec.parse(yaml, format: .yaml) == spec)
        let lines = yaml.split(separator: "\n").map(String.init)
        // Block style, keys in declaration order, shortest numbers.
        #expect(lines.first == "architecture: encoder-free")
        #expect(lines.last == "preset: smoke")
        #expect(lines.contains("learningRate: 0.0001"))
        #expect(lines.contains("minimumLearningRate: 3e-06"))
        #expect(lines.contains("seed: 18446744073709551615"))
        #expect(lines.contains("algorithmOptions:") && lines.contains("  eta: 0.001"))
        #expect(lines.count == 24)  // 22 keys, one of them a mapping of two entries on lines of their own
        // Defaults are written out; unset optional keys are left out.
        let defaults = try ExperimentSpec().yamlText()
        #expect(defaults.contains("batchSize: 8\n") && defaults.contains("algorithmOptions: {}\n"))
        #expect(!defaults.contains("rounds:") && !defaults.contains("dirichletAlpha:"))
        #expect(try ExperimentSpec.parse(defaults, format: .yaml) == ExperimentSpec())
        // Strings YAML would read as numbers or booleans are quoted.
        var tricky = ExperimentSpec()
        tricky.dataset = "1e-3"
        tricky.connector = "true"
        let trickyYAML = try tricky.yamlText()
        #expect(trickyYAML.contains("dataset: '1e-3'\n"))
        #expect(try ExperimentSpec.parse(trickyYAML, format: .yaml) == tricky)
    }

    @Test func writeThenLoadRoundTripsInEveryFormat() throws {
        let directory = try Self.scratchDirectory()
        let spec = Self.everyKeySet
        for name in ["spec.json", "spec.yaml", "nested/spec.yml"] {
            let url = directory.appendingPathComponent(name)
            try spec.write(to: url)
            #expect(try ExperimentSpec.load(from: url) == spec, "\(name)")
        }
        let json = try String(contentsOf: directory.appendingPathComponent("spec.json"), encoding: .utf8)
        #expect(json == (try spec.jsonText()) && json.hasPrefix("{\n  \"algorithm\" : \"fedadam\""))
    }

    @Test func exampleSpecFilesAgreeAndAreValid() throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Examples/specs").standardized
        let names = try FileManager.default.contentsOfDirectory(atPath: specs.path).sorted()
        let yamlNames = names.filter { $0.hasSuffix(".yaml") }
        #expect(!yamlNames.isEmpty)
        for yamlName in yamlNames {
            let twin = String(yamlName.dropLast(".yaml".count)) + ".json"
            #expect(names.contains(twin), "\(yamlName) has no JSON twin")
            let fromYAML = try ExperimentSpec.load(from: specs.appendingPathComponent(yamlName))
            let fromJSON = try ExperimentSpec.load(from: specs.appendingPathComponent(twin))
            #expect(fromYAML == fromJSON, "\(yamlName)")
            try fromYAML.validate()
        }
        let fedprox = try ExperimentSpec.load(from: specs.appendingPathComponent("fedprox-fgvc-dirichlet.yaml"))
        #expect(fedprox.algorithm == "fedprox" && fedprox.algorithmOptions == ["mu": 0.01])
        #expect(fedprox.partition == .dirichlet && fedprox.dirichletAlpha == 0.5 && fedprox.rounds == 10)
    }
}
