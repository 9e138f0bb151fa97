#pragma once
// "Did you mean": the known config key that a mistyped one most likely meant
// (an alias such as learning_rate -> lr, the nearest key by edit distance, or
// a key cut short), for the message that refuses an unknown key.
//
// Thread safety: pure function.
#include <string>
#include <vector>

namespace ts::train {

/// The entry of `known` that `key` most likely meant, or "" when none is
/// close. Case and '-' versus '_' do not matter; only the first 64
/// characters of `key` are compared.
std::string suggestConfigKey(const std::string& key, const std::vector<std::string>& known);

} // namespace ts::train
