#pragma once
// Private to core/zoo: each family file adds its entries to the registry.
#include "core/zoo/Registry.h"

namespace ts::zoo::families {

void addAlexNet(std::vector<RegistryEntry>& out);
void addVgg(std::vector<RegistryEntry>& out);
void addResNet(std::vector<RegistryEntry>& out);
void addGoogLeNet(std::vector<RegistryEntry>& out);
void addInception(std::vector<RegistryEntry>& out);
void addDenseNet(std::vector<RegistryEntry>& out);
void addSqueezeNet(std::vector<RegistryEntry>& out);
void addMobileNetV2(std::vector<RegistryEntry>& out);
void addMobileNetV3(std::vector<RegistryEntry>& out);
void addShuffleNet(std::vector<RegistryEntry>& out);
void addMnasNet(std::vector<RegistryEntry>& out);
void addEfficientNet(std::vector<RegistryEntry>& out);
void addConvNeXt(std::vector<RegistryEntry>& out);
void addTiny(std::vector<RegistryEntry>& out);

} // namespace ts::zoo::families
