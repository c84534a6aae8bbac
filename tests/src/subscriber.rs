//! A graphql-ws subscriber (`tests/conformance/subscribe.mjs`) run as a child process.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::Server;

/// A graphql-ws subscriber, its output read line by line on a thread of its own.
pub struct Subscriber {
    child: Child,
    lines: mpsc::Receiver<Value>,
}

impl Subscriber {
    /// Subscribes to `contentChanged` on a server; exits after `count` events. Returns once the
    /// server counts the subscription (not only the connection), so that what the test does
    /// next happens after it: a change committed then reaches it, a shutdown completes it.
    pub async fn start(dir: &Path, server: &Server, count: usize) -> Subscriber {
        let before = server.subscribers().await;
        let url = format!("{}/graphql", server.base.replacen("http", "ws", 1));
        let mut child = Command::new("node")
            .args(["subscribe.mjs", &url, &count.to_string(), "30000"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        let subscriber = Subscriber { child, lines };
        assert_eq!(
            subscriber.next()["connected"],
            true,
            "the server acknowledges"
        );
        server.wait_for_subscribers(|n| n > before).await;
        subscriber
    }

    /// The next line, waiting at most 20 s.
    pub fn next(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the subscriber prints within 20 s")
    }

    /// Waits for the subscriber to exit.
    pub fn exit_code(mut self) -> Option<i32> {
        self.child.wait().expect("waits").code()
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
