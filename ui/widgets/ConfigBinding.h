#pragma once
// ConfigBinding: widgets as views of fields of the ProjectSession's config.
//
// The show*() functions set a widget to a value only when it shows another
// one, with the widget's signals blocked: nothing is written back to the
// session, and a field the user is typing in is left alone (the value typed
// is already the session's). A double spin box compares as it displays
// (rounded to its decimals).
//
// ConfigBinder binds one widget to one field in one line (the Training page):
//
//     ConfigBinder bind(session, this);
//     bind.spin(m_epochs, [](const TrainConfig& c) { return c.epochs; },
//               [](TrainConfig& c, int v) { c.epochs = v; });
//     ...
//     bind.showAll(session.config());   // on ProjectSession::configChanged
//
// A change of the widget writes the field into the session at once
// (ProjectSession::editConfig); showAll() sets every bound widget from a
// config; copyAll() copies the bound fields from one config into another
// (a page's "Reset to defaults").
//
// Thread safety: UI thread only. Lifetimes: the session and the widgets
// must outlive the binder's use; the connections end with `context`.
#include "core/train/TrainConfig.h"
#include "ui/models/ProjectSession.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QSpinBox>

#include <functional>
#include <string>
#include <vector>

namespace ts::ui {

void showValue(QSpinBox* box, int value);
void showValue(QDoubleSpinBox* box, double value);
void showChecked(QCheckBox* box, bool checked);
void showIndex(QComboBox* box, int index);
/// The item whose data is `name` (case-insensitive), or 0 when none is.
int indexOfName(const QComboBox* box, const std::string& name);

class ConfigBinder {
public:
    using Config = train::TrainConfig;

    ConfigBinder(ProjectSession& session, QObject* context) : m_session(session), m_context(context) {}

    /// `get(config)` reads the field as the widget's value type; `set(config, value)` writes it.
    template <typename Get, typename Set>
    void spin(QSpinBox* box, Get get, Set set) {
        m_shows.push_back([box, get](const Config& c) { showValue(box, int(get(c))); });
        bind<int>(box, qOverload<int>(&QSpinBox::valueChanged), get, set);
    }
    template <typename Get, typename Set>
    void spin(QDoubleSpinBox* box, Get get, Set set) {
        m_shows.push_back([box, get](const Config& c) { showValue(box, double(get(c))); });
        bind<double>(box, qOverload<double>(&QDoubleSpinBox::valueChanged), get, set);
    }
    template <typename Get, typename Set>
    void check(QCheckBox* box, Get get, Set set) {
        m_shows.push_back([box, get](const Config& c) { showChecked(box, bool(get(c))); });
        bind<bool>(box, &QCheckBox::toggled, get, set);
    }
    /// A combo box whose items' data are the names of an enum's values
    /// (TrainConfig.h's toString / ...FromString); get and set use the names.
    template <typename Get, typename Set>
    void choice(QComboBox* box, Get get, Set set) {
        m_shows.push_back([box, get](const Config& c) { showIndex(box, indexOfName(box, get(c))); });
        m_copies.push_back([get, set](const Config& from, Config& to) { set(to, get(from)); });
        ProjectSession* session = &m_session;
        QObject::connect(box, qOverload<int>(&QComboBox::currentIndexChanged), m_context, [session, box, set](int i) {
            const std::string name = box->itemData(i).toString().toStdString();
            session->editConfig([&](Config& c) { set(c, name); });
        });
    }

    /// Sets every bound widget from `config` (those that show another value).
    void showAll(const Config& config) const;
    /// Copies every bound field from `from` into `to`.
    void copyAll(const Config& from, Config& to) const;

private:
    template <typename Value, typename Widget, typename Signal, typename Get, typename Set>
    void bind(Widget* widget, Signal signal, Get get, Set set) {
        m_copies.push_back([get, set](const Config& from, Config& to) { set(to, get(from)); });
        ProjectSession* session = &m_session;
        QObject::connect(widget, signal, m_context,
                         [session, set](Value v) { session->editConfig([&](Config& c) { set(c, v); }); });
    }

    ProjectSession& m_session;
    QObject* m_context;
    std::vector<std::function<void(const Config&)>> m_shows;
    std::vector<std::function<void(const Config&, Config&)>> m_copies;
};

} // namespace ts::ui
