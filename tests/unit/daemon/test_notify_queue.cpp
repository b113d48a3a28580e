#include "notify_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using vigil::NotifyQueue;
using Id = NotifyQueue::JobId;

// A runner that only records: what started (by label), what is running, what was killed.
struct Fake {
    NotifyQueue::TimePoint now{};
    std::vector<std::string> started;
    std::map<std::string, Id> ids;  // label -> id
    std::set<Id> running;
    std::vector<Id> killed;
    NotifyQueue q{[this](Id id) { killed.push_back(id); }, 1s};

    NotifyQueue::Job job(const std::string& label, NotifyQueue::Duration timeout = 0s) {
        return {label, timeout, [this, label](Id id) {
                    started.push_back(label);
                    ids[label] = id;
                    running.insert(id);
                    return true;
                }};
    }
    void push(const std::string& key, const std::string& label, NotifyQueue::Duration t = 0s) {
        q.push(key, job(label, t), now);
    }
    void finish(const std::string& label) {
        running.erase(ids.at(label));
        q.finished(ids.at(label), now);
    }
    void advance(NotifyQueue::Duration d) {
        now += d;
        q.tick(now);
    }
};

TEST(NotifyQueue, OneKeyRunsInOrderOneAtATime) {
    Fake f;
    f.push("VI_1", "backup");
    f.push("VI_1", "master");
    f.push("VI_1", "fault");
    EXPECT_EQ(f.started, (std::vector<std::string>{"backup"}));
    EXPECT_EQ(f.q.running(), 1u);
    EXPECT_EQ(f.q.waiting(), 2u);
    EXPECT_EQ(f.q.running_label("VI_1"), "backup");
    f.finish("backup");
    EXPECT_EQ(f.started, (std::vector<std::string>{"backup", "master"}));
    EXPECT_EQ(f.running.size(), 1u);
    f.finish("master");
    f.finish("fault");
    EXPECT_EQ(f.started, (std::vector<std::string>{"backup", "master", "fault"}));
    EXPECT_TRUE(f.q.idle());
    EXPECT_EQ(f.q.counters().queued, 3u);
    EXPECT_EQ(f.q.counters().finished, 3u);
}

TEST(NotifyQueue, KeysAreIndependent) {
    Fake f;
    f.push("VI_1", "a1");
    f.push("VI_1", "a2");
    f.push("VI_2", "b1");
    f.push("VI_2", "b2");
    EXPECT_EQ(f.started, (std::vector<std::string>{"a1", "b1"}));
    f.finish("b1");  // VI_1's a1 still runs: only VI_2 moves on
    EXPECT_EQ(f.started, (std::vector<std::string>{"a1", "b1", "b2"}));
    EXPECT_EQ(f.q.running_label("VI_1"), "a1");
    f.finish("b2");
    f.finish("a1");
    EXPECT_EQ(f.started.back(), "a2");
    f.finish("a2");
    EXPECT_TRUE(f.q.idle());
}

TEST(NotifyQueue, TimeoutKillsAndTheNextRunsOnceReaped) {
    Fake f;
    f.push("VI_1", "hang", 10s);
    f.push("VI_1", "next", 10s);
    ASSERT_EQ(f.q.next_deadline(), f.now + 10s);
    f.advance(9s);
    EXPECT_TRUE(f.killed.empty());
    f.advance(1s);
    ASSERT_EQ(f.killed, (std::vector<Id>{f.ids.at("hang")}));
    EXPECT_EQ(f.started, (std::vector<std::string>{"hang"})) << "not beside the killed one";
    EXPECT_EQ(f.q.counters().timed_out, 1u);
    f.advance(100ms);
    f.finish("hang");  // reaped
    EXPECT_EQ(f.started, (std::vector<std::string>{"hang", "next"}));
    EXPECT_EQ(f.q.next_deadline(), f.now + 10s) << "the next job's own timeout, from its start";
    f.finish("next");
    EXPECT_EQ(f.killed.size(), 1u);
    EXPECT_FALSE(f.q.next_deadline());
}

TEST(NotifyQueue, KilledJobNeverReapedIsAbandonedAfterTheGrace) {
    Fake f;
    f.push("VI_1", "stuck", 2s);
    f.push("VI_1", "next");
    f.advance(2s);
    ASSERT_EQ(f.killed.size(), 1u);
    EXPECT_EQ(f.q.next_deadline(), f.now + 1s);
    f.advance(999ms);
    EXPECT_EQ(f.started.size(), 1u);
    f.advance(1ms);
    EXPECT_EQ(f.started, (std::vector<std::string>{"stuck", "next"}));
    EXPECT_EQ(f.q.counters().abandoned, 1u);
    f.q.finished(f.ids.at("stuck"), f.now);  // a late report changes nothing
    EXPECT_EQ(f.q.running_label("VI_1"), "next");
    EXPECT_EQ(f.q.counters().finished, 0u);
}

TEST(NotifyQueue, NoTimeoutNoDeadline) {
    Fake f;
    f.push("VI_1", "a");
    EXPECT_FALSE(f.q.next_deadline());
    f.advance(1h);
    EXPECT_TRUE(f.killed.empty());
}

TEST(NotifyQueue, EarliestDeadlineAcrossKeys) {
    Fake f;
    f.push("VI_1", "a", 5s);
    f.advance(1s);
    f.push("VI_2", "b", 2s);
    EXPECT_EQ(f.q.next_deadline(), f.now + 2s);
    f.advance(2s);
    EXPECT_EQ(f.killed, (std::vector<Id>{f.ids.at("b")}));
    f.advance(2s);
    EXPECT_EQ(f.killed.size(), 2u);
}

TEST(NotifyQueue, StartFailureMovesOnAtOnce) {
    Fake f;
    f.q.push("VI_1", {"broken", 1s, [](Id) { return false; }}, f.now);
    f.push("VI_1", "next");
    EXPECT_EQ(f.started, (std::vector<std::string>{"next"}));
    EXPECT_EQ(f.q.counters().start_failed, 1u);
    EXPECT_EQ(f.q.counters().started, 1u);
}

TEST(NotifyQueue, AJobThatEndsFromInsideItsStartLetsTheChainRunInOrder) {
    Fake f;
    std::vector<std::string> order;
    for (const char* l : {"1", "2", "3"})
        f.q.push("k",
                 {l, 0s,
                  [&, l](Id id) {
                      order.push_back(l);
                      f.q.finished(id, f.now);
                      return true;
                  }},
                 f.now);
    EXPECT_EQ(order, (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_TRUE(f.q.idle());
}

TEST(NotifyQueue, PushFromInsideAStartQueuesBehind) {
    Fake f;
    f.q.push("k",
             {"first", 0s,
              [&](Id id) {
                  f.push("k", "second");
                  f.ids["first"] = id;
                  return true;
              }},
             f.now);
    EXPECT_TRUE(f.started.empty()) << "second waits for first";
    f.q.finished(f.ids.at("first"), f.now);
    EXPECT_EQ(f.started, (std::vector<std::string>{"second"}));
}

TEST(NotifyQueue, AbortDropsTheWaitingAndKillsTheRunning) {
    Fake f;
    f.push("VI_1", "a1");
    f.push("VI_1", "a2");
    f.push("VI_2", "b1", 10s);
    f.push("VI_2", "b2");
    f.q.abort(f.now);
    EXPECT_EQ(f.q.counters().dropped, 2u);
    EXPECT_EQ(f.q.waiting(), 0u);
    EXPECT_EQ(std::set<Id>(f.killed.begin(), f.killed.end()),
              (std::set<Id>{f.ids.at("a1"), f.ids.at("b1")}));
    f.finish("a1");
    EXPECT_FALSE(f.q.idle());
    f.advance(1s);  // b1 never reaped: given up after the grace
    EXPECT_TRUE(f.q.idle());
    EXPECT_EQ(f.started, (std::vector<std::string>{"a1", "b1"}));
    f.q.abort(f.now);  // nothing left: harmless
    EXPECT_EQ(f.killed.size(), 2u);
}

TEST(NotifyQueue, KillThatReportsAtOnceStartsTheNext) {
    NotifyQueue::TimePoint now{};
    std::vector<std::string> started;
    NotifyQueue* qp = nullptr;
    NotifyQueue q([&](Id id) { qp->finished(id, now); });
    qp = &q;
    auto job = [&](const std::string& l) {
        return NotifyQueue::Job{l, 1s, [&started, l](Id) {
                                    started.push_back(l);
                                    return true;
                                }};
    };
    q.push("k", job("a"), now);
    q.push("k", job("b"), now);
    now += 1s;
    q.tick(now);
    EXPECT_EQ(started, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(q.counters().timed_out, 1u);
    EXPECT_EQ(q.counters().finished, 1u);
}

}  // namespace

namespace {

TEST(NotifyQueue, AFullKeyRefusesMoreButOthersStillQueue) {
    NotifyQueue::TimePoint now{};
    int started = 0;
    NotifyQueue q([](Id) {}, 1s, 2);
    auto job = [&] {
        return NotifyQueue::Job{"j", 0s, [&](Id) {
                                    ++started;
                                    return true;
                                }};
    };
    auto first = q.push("k", job(), now);  // runs
    ASSERT_TRUE(first);
    EXPECT_TRUE(q.push("k", job(), now));
    EXPECT_TRUE(q.push("k", job(), now));
    EXPECT_FALSE(q.push("k", job(), now)) << "two already wait";
    EXPECT_EQ(q.counters().refused, 1u);
    EXPECT_TRUE(q.push("other", job(), now));
    q.finished(*first, now);
    EXPECT_TRUE(q.push("k", job(), now)) << "room again";
    EXPECT_EQ(started, 3);
}

}  // namespace
