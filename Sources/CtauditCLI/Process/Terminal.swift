import Glibc

enum Terminal {
    /// Colour only for a person at a terminal who has not asked for none (no-color.org).
    static var wantsColor: Bool {
        isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR") == nil
    }
}
