// libFuzzer harness: any text as a LibriSpeech *.trans.txt, a Sphinx transcription.txt and a
// sidecar clip.txt. The parsers throw nothing; every id and text they return is whitespace-collapsed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/audio/transcripts.h"

namespace {

// Collapsed text: no leading, trailing or doubled whitespace.
void checkCollapsed(const std::string& s) {
    if (qs::collapseWhitespace(s) != s) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    for (const auto& [id, line] : qs::parseLibriSpeechTranscripts(text)) {
        if (id.empty()) std::abort();
        checkCollapsed(id);
        checkCollapsed(line);
    }
    for (const auto& [id, line] : qs::parseSphinxTranscription(text)) {
        if (id.empty()) std::abort();
        checkCollapsed(line);
    }
    checkCollapsed(qs::collapseWhitespace(text));
    return 0;
}
