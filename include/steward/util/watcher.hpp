// Typed libev watchers: each one binds a libev watcher to a member function
// of its owner and stops itself when destroyed, so no callback casts
// w->data by hand and no destructor lists ev_*_stop calls.
//
//   IoWatcher io_;
//   io_.Bind<&Server::OnReadable>(loop, this, fd, EV_READ);  // then Start()
//
// The member function takes nothing, or the revents mask (int). A watcher
// must outlive neither its loop nor its owner; it is neither copied nor
// moved (libev holds its address while it is active).
#pragma once

#include <ev.h>

#include <chrono>
#include <type_traits>

namespace steward {

// A duration as libev's ev_tstamp (seconds, double). The only conversion.
template <class Rep, class Period>
inline double Seconds(std::chrono::duration<Rep, Period> d) {
  return std::chrono::duration<double>(d).count();
}

namespace watcher_detail {

template <class W>
struct Ops;
template <>
struct Ops<ev_io> {
  static void Start(struct ev_loop* l, ev_io* w) { ev_io_start(l, w); }
  static void Stop(struct ev_loop* l, ev_io* w) { ev_io_stop(l, w); }
};
template <>
struct Ops<ev_timer> {
  static void Start(struct ev_loop* l, ev_timer* w) { ev_timer_start(l, w); }
  static void Stop(struct ev_loop* l, ev_timer* w) { ev_timer_stop(l, w); }
};
template <>
struct Ops<ev_child> {
  static void Start(struct ev_loop* l, ev_child* w) { ev_child_start(l, w); }
  static void Stop(struct ev_loop* l, ev_child* w) { ev_child_stop(l, w); }
};
template <>
struct Ops<ev_prepare> {
  static void Start(struct ev_loop* l, ev_prepare* w) { ev_prepare_start(l, w); }
  static void Stop(struct ev_loop* l, ev_prepare* w) { ev_prepare_stop(l, w); }
};

}  // namespace watcher_detail

template <class W>
class Watcher {
 public:
  Watcher() = default;
  ~Watcher() { Stop(); }
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  void Start() {
    if (loop_) watcher_detail::Ops<W>::Start(loop_, &w_);
  }
  void Stop() {
    if (loop_) watcher_detail::Ops<W>::Stop(loop_, &w_);
  }
  bool active() const { return ev_is_active(&w_); }
  struct ev_loop* loop() const { return loop_; }
  W* raw() { return &w_; }
  const W* raw() const { return &w_; }

 protected:
  // Sets the callback to F on owner; the watcher is not started.
  template <auto F, class T>
  void BindTo(struct ev_loop* loop, T* owner) {
    Stop();
    loop_ = loop;
    ev_init(&w_, (&Call<F, T>));
    w_.data = owner;
  }

  W w_{};
  struct ev_loop* loop_ = nullptr;

 private:
  template <auto F, class T>
  static void Call(struct ev_loop*, W* w, int revents) {
    T* owner = static_cast<T*>(w->data);
    if constexpr (std::is_invocable_v<decltype(F), T*, int>) {
      (owner->*F)(revents);
    } else {
      (owner->*F)();
    }
  }
};

class IoWatcher : public Watcher<ev_io> {
 public:
  template <auto F, class T>
  void Bind(struct ev_loop* loop, T* owner, int fd = -1, int events = EV_READ) {
    BindTo<F>(loop, owner);
    ev_io_set(&w_, fd, events);
  }
  // Watches fd for events from now on (restarts it when it was active, or
  // when start is true).
  void Set(int fd, int events, bool start = true) {
    bool was = active();
    Stop();
    ev_io_set(&w_, fd, events);
    if (was || start) Start();
  }
  int fd() const { return w_.fd; }
  int events() const { return w_.events & (EV_READ | EV_WRITE); }
};

class TimerWatcher : public Watcher<ev_timer> {
 public:
  template <auto F, class T>
  void Bind(struct ev_loop* loop, T* owner) {
    BindTo<F>(loop, owner);
    ev_timer_set(&w_, 0., 0.);
  }
  // (Re)arms it to fire once after `after` (seconds), then every `repeat`.
  void Start(double after, double repeat = 0.) {
    Stop();
    ev_timer_set(&w_, after, repeat);
    Watcher::Start();
  }
  template <class Rep, class Period>
  void Start(std::chrono::duration<Rep, Period> after) {
    Start(Seconds(after));
  }
  void SetRepeat(double repeat) { w_.repeat = repeat; }
  // Idle-style timer: restarts the repeat interval (ev_timer_again).
  void Again(double repeat) {
    w_.repeat = repeat;
    if (loop_) ev_timer_again(loop_, &w_);
  }
  void Again() {
    if (loop_) ev_timer_again(loop_, &w_);
  }
  double remaining() const {
    return loop_ ? ev_timer_remaining(loop_, const_cast<ev_timer*>(&w_)) : 0.;
  }
};

class ChildWatcher : public Watcher<ev_child> {
 public:
  // pid 0: every child.
  template <auto F, class T>
  void Bind(struct ev_loop* loop, T* owner, int pid = 0) {
    BindTo<F>(loop, owner);
    ev_child_set(&w_, pid, 0);
  }
  int rpid() const { return w_.rpid; }
  int rstatus() const { return w_.rstatus; }
};

class PrepareWatcher : public Watcher<ev_prepare> {
 public:
  template <auto F, class T>
  void Bind(struct ev_loop* loop, T* owner) {
    BindTo<F>(loop, owner);
  }
};

}  // namespace steward
