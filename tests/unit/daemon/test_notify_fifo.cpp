#include "notify_fifo.hpp"

#include "vigil/common/fake_clock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

using namespace vigil;
using boost::asio::ip::make_address;

// ---- lines (keepalived 2.2.7, observed and from keepalived.conf(5)) ---------------------------

TEST(NotifyFifoLines, Instance) {
    EXPECT_EQ(fifo_instance_line("VI_1", "BACKUP", 150), "INSTANCE \"VI_1\" BACKUP 150\n");
    EXPECT_EQ(fifo_instance_line("VI_1", "MASTER", 100), "INSTANCE \"VI_1\" MASTER 100\n");
    EXPECT_EQ(fifo_instance_line("VI_1", "STOP", 103), "INSTANCE \"VI_1\" STOP 103\n");
    EXPECT_EQ(fifo_instance_line("VI_3", "MASTER_PRIORITY", 107),
              "INSTANCE \"VI_3\" MASTER_PRIORITY 107\n");
}

TEST(NotifyFifoLines, GroupPriorityIsAlwaysZero) {
    EXPECT_EQ(fifo_group_line("G1", "MASTER"), "GROUP \"G1\" MASTER 0\n");
    EXPECT_EQ(fifo_group_line("G1", "STOP"), "GROUP \"G1\" STOP 0\n");
}

TEST(NotifyFifoLines, VirtualAndRealServers) {
    const auto vs = fifo_endpoint(make_address("192.168.201.15"), "tcp", 80);
    const auto rs = fifo_endpoint(make_address("1.2.3.4"), "tcp", 80);
    EXPECT_EQ(vs, "[192.168.201.15]:tcp:80");
    EXPECT_EQ(fifo_vs_line(vs, true), "VS [192.168.201.15]:tcp:80 UP\n");
    EXPECT_EQ(fifo_vs_line(vs, false), "VS [192.168.201.15]:tcp:80 DOWN\n");
    EXPECT_EQ(fifo_rs_line(rs, vs, true), "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 UP\n");
    EXPECT_EQ(fifo_rs_line(rs, vs, false), "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n");
    EXPECT_EQ(fifo_endpoint(make_address("2001:db8::1"), "udp", 53), "[2001:db8::1]:udp:53");
}

// ---- queue policy --------------------------------------------------------------------------

TEST(FifoQueue, KeepsOrderAndBatchesWhatIsQueued) {
    FifoQueue q(100);
    EXPECT_TRUE(q.empty());
    EXPECT_TRUE(q.push("a\n"));
    EXPECT_TRUE(q.push("bb\n"));
    EXPECT_EQ(q.bytes(), 5u);
    const auto first = q.next();
    EXPECT_EQ(first, "a\nbb\n");
    EXPECT_TRUE(q.push("c\n"));  // arrives while the batch is in flight
    EXPECT_EQ(q.next().data(), first.data()) << "the batch in flight must not move";
    q.written(5);
    EXPECT_EQ(q.next(), "c\n");
    q.written(2);
    EXPECT_TRUE(q.empty());
}

TEST(FifoQueue, RefusesWholeLinesWhenFull) {
    FifoQueue q(10);
    EXPECT_TRUE(q.push("12345678\n"));  // 9 bytes
    EXPECT_FALSE(q.push("xy\n"));       // would be 12: refused whole
    EXPECT_TRUE(q.push("z"));           // 10: fits exactly
    EXPECT_EQ(q.next(), "12345678\nz");
    q.written(4);  // a partial write frees only what left
    EXPECT_EQ(q.bytes(), 6u);
    EXPECT_FALSE(q.push("abcde\n"));  // 12 > 10
    EXPECT_TRUE(q.push("ab\n"));      // 9
    q.written(6);
    EXPECT_EQ(q.bytes(), 3u);
    EXPECT_EQ(q.next(), "ab\n");
}

TEST(FifoQueue, ReaderGoneMidLineDropsOnlyThatLine) {
    FifoQueue q(100);
    q.push("one\n");
    q.push("two\n");
    q.push("three\n");
    q.next();
    q.written(6);  // "one\ntw"
    EXPECT_EQ(q.reader_gone(), 1u);
    EXPECT_EQ(q.next(), "three\n") << "a new reader starts on a line boundary";
}

TEST(FifoQueue, ReaderGoneOnBoundaryLosesNothing) {
    FifoQueue q(100);
    q.push("one\n");
    q.push("two\n");
    q.next();
    q.written(4);
    EXPECT_EQ(q.reader_gone(), 0u);
    EXPECT_EQ(q.next(), "two\n");
    FifoQueue fresh(100);
    EXPECT_EQ(fresh.reader_gone(), 0u);
}

// ---- the writer on a real FIFO ----------------------------------------------------------------

class NotifyFifoTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vigil-fifo-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        ::umask(022);  // the mode checked below is keepalived's 0644 under the usual umask
        ::signal(SIGPIPE, SIG_IGN);  // as in the daemon: a reader leaving is EPIPE
        dir_ = tmpl;
        path_ = dir_ + "/fifo";
    }
    void TearDown() override {
        if (reader_ >= 0) ::close(reader_);
        std::filesystem::remove_all(dir_);
    }
    void run_for(std::chrono::milliseconds d) {
        io_.restart();
        io_.run_for(d);
    }
    std::string read_all() {
        std::string out;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(reader_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
        return out;
    }
    boost::asio::io_context io_;
    vigil::AsioClock clock_{io_};
    std::string dir_, path_;
    int reader_ = -1;
};

TEST_F(NotifyFifoTest, CreatesTheFifoAndRemovesWhatItCreated) {
    {
        auto f = NotifyFifo::create(io_, clock_, path_, {}, {});
        ASSERT_TRUE(f) << f.error();
        struct stat st {};
        ASSERT_EQ(::stat(path_.c_str(), &st), 0);
        EXPECT_TRUE(S_ISFIFO(st.st_mode));
        EXPECT_EQ(st.st_mode & 0777, 0644u);
    }
    EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(NotifyFifoTest, KeepsAFifoThatExistedAndRefusesAPlainFile) {
    ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    { ASSERT_TRUE(NotifyFifo::create(io_, clock_, path_, {}, {})); }
    EXPECT_TRUE(std::filesystem::exists(path_));
    const std::string plain = dir_ + "/plain";
    ::close(::open(plain.c_str(), O_CREAT | O_WRONLY, 0600));
    auto f = NotifyFifo::create(io_, clock_, plain, {}, {});
    ASSERT_FALSE(f);
    EXPECT_NE(f.error().find("not a FIFO"), std::string::npos);
}

TEST_F(NotifyFifoTest, LinesWaitForALateReaderInOrder) {
    FifoSettings s;
    s.retry = std::chrono::milliseconds(5);
    auto f = NotifyFifo::create(io_, clock_, path_, s, {});
    ASSERT_TRUE(f);
    auto& w = **f;
    w.write(fifo_instance_line("VI_1", "BACKUP", 100));
    w.write(fifo_instance_line("VI_1", "MASTER", 100));
    run_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(w.connected());
    EXPECT_FALSE(w.idle());
    reader_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader_, 0);
    for (int i = 0; i < 50 && !w.idle(); ++i) run_for(std::chrono::milliseconds(10));
    EXPECT_TRUE(w.connected());
    EXPECT_EQ(read_all(), "INSTANCE \"VI_1\" BACKUP 100\nINSTANCE \"VI_1\" MASTER 100\n");
    EXPECT_EQ(w.counters().dropped_no_reader, 0u);
    EXPECT_EQ(w.counters().lines_queued, 2u);
}

// The reopen while lines wait runs on the injected clock: a reader that comes gets the line
// at the next retry instant, not before.
TEST_F(NotifyFifoTest, ReopensForAWaitingLineOnTheInjectedClock) {
    using namespace std::chrono_literals;
    vigil::FakeClock clock;
    ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    auto f = NotifyFifo::create(io_, clock, path_, {}, {});  // retry: 100 ms
    ASSERT_TRUE(f) << f.error();
    (*f)->write("INSTANCE \"VI_1\" MASTER 100\n");
    reader_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader_, 0);
    run_for(200ms);
    EXPECT_FALSE((*f)->connected());
    clock.advance(99ms);
    run_for(50ms);
    EXPECT_FALSE((*f)->connected());
    clock.advance(1ms);
    run_for(100ms);
    EXPECT_TRUE((*f)->connected());
    EXPECT_EQ(read_all(), "INSTANCE \"VI_1\" MASTER 100\n");
}

TEST_F(NotifyFifoTest, NoReaderFillsTheQueueThenCountsDrops) {
    FifoSettings s;
    s.capacity = 64;
    auto f = NotifyFifo::create(io_, clock_, path_, s, {});
    ASSERT_TRUE(f);
    const std::string line = fifo_instance_line("VI_1", "MASTER", 100);  // 28 bytes
    for (int i = 0; i < 5; ++i) (*f)->write(line);
    EXPECT_EQ((*f)->counters().lines_queued, 2u);
    EXPECT_EQ((*f)->counters().dropped_no_reader, 3u);
    EXPECT_EQ((*f)->counters().dropped_queue_full, 0u);
}

TEST_F(NotifyFifoTest, SlowReaderNeverBlocksAndCountsQueueFull) {
    ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    reader_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader_, 0);
    FifoSettings s;
    s.capacity = 4096;
    auto f = NotifyFifo::create(io_, clock_, path_, s, {});
    ASSERT_TRUE(f);
    const std::string line(99, 'x');
    const auto start = std::chrono::steady_clock::now();
    // Far more than the pipe (64 KiB) and the queue hold; nobody reads.
    for (int i = 0; i < 5000; ++i) {
        (*f)->write(line + "\n");
        if (i % 100 == 0) run_for(std::chrono::milliseconds(1));
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_TRUE((*f)->connected());
    EXPECT_GT((*f)->counters().dropped_queue_full, 0u);
    EXPECT_EQ((*f)->counters().dropped_no_reader, 0u);
    // What the reader gets is whole lines, in order.
    run_for(std::chrono::milliseconds(5));
    const auto got = read_all();
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got.size() % 100, 0u);
    EXPECT_EQ(got.back(), '\n');
}

TEST_F(NotifyFifoTest, AReaderThatLeavesIsReplacedByTheNextOne) {
    FifoSettings s;
    s.retry = std::chrono::milliseconds(5);
    auto f = NotifyFifo::create(io_, clock_, path_, s, {});
    ASSERT_TRUE(f);
    auto& w = **f;
    reader_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader_, 0);
    w.write("first\n");
    for (int i = 0; i < 50 && !w.idle(); ++i) run_for(std::chrono::milliseconds(5));
    EXPECT_EQ(read_all(), "first\n");
    ::close(reader_);
    reader_ = -1;
    w.write("lost-or-kept\n");  // EPIPE: the writer closes and waits for a reader
    run_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(w.connected());
    reader_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK);
    ASSERT_GE(reader_, 0);
    w.write("second\n");
    for (int i = 0; i < 50 && !w.idle(); ++i) run_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(w.connected());
    EXPECT_EQ(read_all(), "lost-or-kept\nsecond\n");
    EXPECT_EQ(w.counters().opens, 2u);
}

}  // namespace
