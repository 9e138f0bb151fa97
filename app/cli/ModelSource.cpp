#include "app/cli/ModelSource.h"

#include "core/common/Error.h"
#include "core/export/Bundle.h"
#include "core/weights/Pretrained.h"
#include "core/zoo/Registry.h"

namespace ts::cli {

ModelSource loadModelSource(const std::string& command, const std::string& arch, const std::string& weights,
                            const std::string& model) {
    if (arch.empty() && model.empty())
        throw ConfigError(command + " needs --arch ARCH (ImageNet classes) or --model RUN_DIR|BUNDLE (your classes).");
    if (!model.empty() && !arch.empty())
        throw ConfigError(command + " takes --arch (ImageNet classes) or --model (your classes), not both.");
    ModelSource s;
    if (!model.empty()) {
        auto loaded = exporting::loadTrainedModel(model);
        s.model = loaded.model;
        s.transform = loaded.meta.transform;
        s.labels = loaded.meta.classes;
        s.temperature = loaded.meta.temperature;
        s.unknownThreshold = loaded.meta.unknownThreshold;
    } else {
        s.model = weights::loadPretrained(arch, weights);
        s.transform = data::EvalTransform::forModel(zoo::modelInfo(arch));
        s.labels = zoo::imagenetCategories();
    }
    return s;
}

} // namespace ts::cli
