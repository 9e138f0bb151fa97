#include "ui/main/Application.h"

int main(int argc, char** argv) { return ts::ui::runApplication(argc, argv); }
