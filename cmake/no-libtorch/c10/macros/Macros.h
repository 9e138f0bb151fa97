// Placed first on the include path of ts_ui (ui/main, ui/pages, ui/widgets,
// the Qt item models): every LibTorch header (torch/, ATen/, c10/) includes
// this file, and Debian installs ATen/ and c10/ under /usr/include, where
// they would otherwise be found without LibTorch's include directories.
#error "LibTorch is not available in ts_ui (pages, widgets, main): put code that needs it in ts_ui_bridges (ui/models/*Bridge*, ui/workers) behind a header without LibTorch types (ui/CMakeLists.txt)"
