// Checkpoint and resume of the server state: the global parameters (safetensors), the
// aggregator's and its client algorithm's state, the round counter and the log (JSON).
// Everything random is derived from (seed, round, client), so no generator state needs
// saving, and a resumed run repeats an uninterrupted one bit for bit.
//
// Layout of a checkpoint directory:
//   global.safetensors   the server's parameter set
//   state.json           ServerCheckpoint below
// A new checkpoint is written beside the old one and swapped in with renames, so an
// interruption leaves either the old or the new checkpoint, never a half-written one.

import Aggregators
import Foundation
import NN
import Tensors

/// The JSON part of a checkpoint.
public struct ServerCheckpoint: Codable, Sendable {
    public var formatVersion: Int
    public var completedRounds: Int
    public var config: FederatedConfig
    public var strategy: String
    public var aggregator: AggregatorState
    public var clientAlgorithm: AggregatorState?
    public var records: [RoundRecord]
}

extension FederatedSimulation {
    static let checkpointFormatVersion = 1

    /// Writes the server state after the last completed round to `directory` (atomically).
    public func writeCheckpoint(to directory: URL) throws {
        let fileManager = FileManager.default
        let parent = directory.deletingLastPathComponent()
        try fileManager.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = parent.appendingPathComponent(directory.lastPathComponent + ".writing")
        try? fileManager.removeItem(at: staging)
        try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
        try SafeTensors.write(global, metadata: ["round": "\(completedRounds)"],
                              to: staging.appendingPathComponent("global.safetensors"))
        let state = ServerCheckpoint(formatVersion: Self.checkpointFormatVersion, completedRounds: completedRounds, config: config,
                                     strategy: strategy.description, aggregator: aggregator.stateSnapshot(),
                                     clientAlgorithm: aggregator.clientAlgorithm?.stateSnapshot(), records: records)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: staging.appendingPathComponent("state.json"), options: .atomic)
        let previous = parent.appendingPathComponent(directory.lastPathComponent + ".previous")
        try? fileManager.removeItem(at: previous)
        if fileManager.fileExists(atPath: directory.path) { try fileManager.moveItem(at: directory, to: previous) }
        try fileManager.moveItem(at: staging, to: directory)
        try? fileManager.removeItem(at: previous)
    }

    /// Restores the server state from a checkpoint written by the same experiment.
    /// - Throws: when files are missing or damaged, or the checkpoint's config, strategy or
    ///   aggregator differ from this simulation's (the message names the field).
    public func resume(from directory: URL) throws {
        let stateURL = directory.appendingPathComponent("state.json")
        let globalURL = directory.appendingPathComponent("global.safetensors")
        let data: Data
        do { data = try Data(contentsOf: stateURL) } catch {
            throw FederationError("checkpoint \(stateURL.path): cannot read (\(error.localizedDescription))")
        }
        let state: ServerCheckpoint
        do { state = try JSONDecoder().decode(ServerCheckpoint.self, from: data) } catch {
            throw FederationError("checkpoint \(stateURL.path): not a valid server state (\(error))")
        }
        guard state.formatVersion == Self.checkpointFormatVersion else {
            throw FederationError("checkpoint \(stateURL.path): format version \(state.formatVersion), expected \(Self.checkpointFormatVersion)")
        }
        guard state.config == config else { throw FederationError("checkpoint \(stateURL.path): its config differs from this run's") }
        guard state.strategy == strategy.description else {
            throw FederationError("checkpoint \(stateURL.path): strategy \(state.strategy), this run uses \(strategy)")
        }
        let (parameters, _) = try SafeTensors.read(from: globalURL)
        try aggregator.restore(state.aggregator)
        if let clientState = state.clientAlgorithm {
            guard let clientAlgorithm = aggregator.clientAlgorithm else {
                throw FederationError("checkpoint \(stateURL.path): has client-algorithm state but \(aggregator.name) has no client side")
            }
            try clientAlgorithm.restore(clientState)
        }
        try restore(global: parameters, completedRounds: state.completedRounds, records: state.records)
    }
}
