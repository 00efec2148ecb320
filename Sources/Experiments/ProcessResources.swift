// What the process has used so far, for the memory figure recorded with every run and table.

import Foundation

/// Resource usage of the current process.
public enum ProcessResources {
    /// The largest resident set size the process has had so far, in bytes (Linux `ru_maxrss`,
    /// which counts kilobytes). Runs that go side by side share the process, so their figure is
    /// the whole table's peak so far, not one run's.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024
    }

    /// "412 MB".
    public static func megabytes(_ bytes: Int) -> String { "\(bytes / (1 << 20)) MB" }
}
