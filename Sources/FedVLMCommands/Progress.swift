// Progress display: a single updating status line on a terminal, plain log lines otherwise.

import Foundation

/// Prints progress to standard error. Safe to call from several threads (runs side by side).
public final class ProgressDisplay: @unchecked Sendable {
    public let quiet: Bool
    private let isTerminal: Bool
    private let started = Date()
    private var lastStatusLength = 0
    private let lock = NSLock()

    public init(quiet: Bool) {
        self.quiet = quiet
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    /// A line that stays in the log.
    public func line(_ text: String) {
        guard !quiet else { return }
        lock.lock(); defer { lock.unlock() }
        clearStatus()
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// A transient status (round, client, ETA): rewritten in place on a terminal, dropped otherwise.
    public func status(_ text: String) {
        guard !quiet, isTerminal else { return }
        lock.lock(); defer { lock.unlock() }
        let shown = "\r" + text.padding(toLength: max(text.count, lastStatusLength), withPad: " ", startingAt: 0)
        lastStatusLength = text.count
        FileHandle.standardError.write(Data(shown.utf8))
    }

    /// Seconds since the display was created.
    public var elapsed: Double { Date().timeIntervalSince(started) }

    /// "ETA 3m12s" from the fraction done.
    public func eta(done: Double) -> String {
        guard done > 0 else { return "ETA --" }
        let remaining = elapsed * (1 - done) / done
        return "ETA \(Int(remaining) / 60)m\(String(format: "%02d", Int(remaining) % 60))s"
    }

    private func clearStatus() {
        if isTerminal && lastStatusLength > 0 {
            FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: lastStatusLength) + "\r").utf8))
            lastStatusLength = 0
        }
    }
}
