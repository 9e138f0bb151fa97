#pragma once
// Seq: an ordered container like torch::nn::Sequential whose children can be
// replaced in place (Sequential keeps a private list that replace_module does
// not update). Children are named "0", "1", ... unless a name is given, so
// parameter keys match torchvision's nn.Sequential exactly.
//
// Every child's output passes through zoo::tapped(), so feature-map and
// Grad-CAM taps see the output of each child without further code. ReLU
// children run through applyActivation() (Layers.h): in place when nothing
// observes their input, as torchvision's ReLU(inplace=True).
#include "core/zoo/Tap.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

#include <string>
#include <utility>
#include <vector>

namespace ts::zoo {

class SeqImpl : public torch::nn::Module {
public:
    SeqImpl() = default;

    /// Appends a module named after its position ("0", "1", ...).
    template <typename ModuleHolder>
    void add(ModuleHolder module) {
        add(std::to_string(m_items.size()), std::move(module));
    }

    /// Appends a module under an explicit name (e.g. "conv0", "denseblock1").
    template <typename ModuleHolder>
    void add(const std::string& name, ModuleHolder module) {
        auto holder = register_module(name, std::move(module));
        m_items.push_back({name, torch::nn::AnyModule(holder), holder, isRelu(*holder)});
    }

    /// Runs every child in order.
    torch::Tensor forward(torch::Tensor x) { return forwardRange(std::move(x), 0, m_items.size()); }

    /// Runs children [begin, end) in order.
    torch::Tensor forwardRange(torch::Tensor x, size_t begin, size_t end);

    size_t size() const { return m_items.size(); }
    const std::string& nameAt(size_t i) const { return m_items.at(i).name; }
    std::shared_ptr<torch::nn::Module> ptrAt(size_t i) const { return m_items.at(i).module; }
    /// Position of the child called `name`; throws ts::ModelError when absent.
    size_t indexOf(const std::string& name) const;

    /// Replaces the child called `name` (keeps its position and key prefix).
    template <typename ModuleHolder>
    void replace(const std::string& name, ModuleHolder module) {
        const size_t i = indexOf(name);
        auto holder = replace_module(name, std::move(module));
        m_items[i].any = torch::nn::AnyModule(holder);
        m_items[i].module = holder;
        m_items[i].relu = isRelu(*holder);
    }

private:
    static bool isRelu(const torch::nn::Module& module);

    struct Item {
        std::string name;
        torch::nn::AnyModule any;
        std::shared_ptr<torch::nn::Module> module;
        bool relu = false;  ///< a torch::nn::ReLU
    };
    std::vector<Item> m_items;
};
TORCH_MODULE(Seq);

} // namespace ts::zoo
