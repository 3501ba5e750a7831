//! `cargo xtask slurm`: chapter 6's own Slurm scripts on a real Slurm.
//!
//! Installs Debian's `slurmctld`, `slurmd`, `slurm-client` and `munge` when
//! they are missing, starts a private single-host cluster (one `munged`, one
//! `slurmctld`, and two `slurmd` posing as nodes `ppr-n1` and `ppr-n2`, all on
//! their own ports, configuration and state under `target/xtask-slurm/`),
//! submits `crates/beyond-one-machine/slurm/{sweep,timely}.sbatch` unchanged,
//! and checks:
//! 1. the full job array, merged, equals a serial run;
//! 2. a cancelled array task is named by `merge`, and running the command it
//!    prints, as printed, completes the sweep;
//! 3. a list resubmission (`--array=1,3`) runs exactly those shards;
//! 4. a 2-node timely job, and one of 2 tasks on 1 node, equal the serial run;
//! 5. a killed timely process fails the job within [`LOST_PEER_BOUND`], with
//!    one clear error naming the peer.
//!
//! Every daemon it starts is stopped at the end, by pid, whatever happened.
//! Without root (needed to install packages and run `slurmd`), or where
//! `apt-get` fails, it says so and skips.

use std::fs;
use std::net::{TcpListener, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

/// A job that has not finished by then has failed.
const JOB_TIMEOUT: Duration = Duration::from_secs(120);
/// A killed timely process must have failed its job within this bound
/// (it is noticed at once; Slurm then ends the step).
const LOST_PEER_BOUND: Duration = Duration::from_secs(20);
/// The line added to `/etc/hosts` when the node names do not resolve.
const HOSTS_LINE: &str = "127.0.0.1 ppr-n1 ppr-n2 # added by cargo xtask slurm";
/// A small sweep: quick even in a debug build.
const PI_SWEEP: &str = "--workload pi --size 13 --trials 1000";

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    if !is_root() {
        eprintln!("slurm: SKIPPED: needs root (to install Slurm and run slurmd)");
        return Ok(());
    }
    if let Err(why) = ensure_installed() {
        eprintln!("slurm: SKIPPED: cannot install Slurm: {why:#}");
        return Ok(());
    }
    let status = crate::cargo()
        .args(["build", "-p", "beyond-one-machine"])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "cargo build -p beyond-one-machine failed");
    let bin = root.join("target/debug/beyond-one-machine");
    let cluster = Cluster::start(root, &bin)?;
    eprintln!("slurm: 2-node cluster up after {:.1?}", started.elapsed());
    let serial = cluster.serial(PI_SWEEP)?;
    full_array(&cluster, &serial)?;
    cancelled_task_resubmitted(&cluster)?;
    list_resubmission(&cluster, &serial)?;
    timely_two_nodes(&cluster, &serial)?;
    killed_peer(&cluster)?;
    drop(cluster);
    eprintln!("slurm: all checks passed in {:.1?}", started.elapsed());
    Ok(())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

fn ensure_installed() -> anyhow::Result<()> {
    let present = ["slurmctld", "slurmd", "sbatch", "munged"]
        .iter()
        .all(|tool| {
            ["/usr/sbin", "/usr/bin"]
                .iter()
                .any(|dir| Path::new(dir).join(tool).exists())
        });
    if present {
        return Ok(());
    }
    eprintln!("slurm: installing slurmctld slurmd slurm-client munge");
    for args in [
        &["update", "-qq"][..],
        &[
            "install",
            "-y",
            "-qq",
            "slurmctld",
            "slurmd",
            "slurm-client",
            "munge",
        ],
    ] {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .context("running apt-get")?;
        ensure!(status.success(), "apt-get {} failed ({status})", args[0]);
    }
    Ok(())
}

/// A private Slurm cluster; dropping it cancels its jobs and stops every
/// daemon it started, by pid.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
    bin: PathBuf,
    scripts: PathBuf,
    daemons: Vec<(String, Child)>,
    added_hosts: bool,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Cluster {
    fn start(root: &Path, bin: &Path) -> anyhow::Result<Cluster> {
        let dir = root.join("target/xtask-slurm");
        let _ = fs::remove_dir_all(&dir);
        for sub in [
            "munge",
            "state",
            "spool/ppr-n1",
            "spool/ppr-n2",
            "log",
            "jobs",
        ] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let mut cluster = Cluster {
            conf: dir.join("slurm.conf"),
            dir,
            bin: bin.to_path_buf(),
            scripts: root.join("crates/beyond-one-machine/slurm"),
            daemons: Vec::new(),
            added_hosts: false,
        };
        // From here on, dropping `cluster` cleans up whatever was started.
        if ("ppr-n1", 0).to_socket_addrs().is_err() {
            let hosts = fs::read_to_string("/etc/hosts").unwrap_or_default();
            fs::write("/etc/hosts", format!("{hosts}{HOSTS_LINE}\n"))?;
            cluster.added_hosts = true;
        }
        cluster.start_munge()?;
        fs::write(&cluster.conf, cluster.config()?)?;
        let conf = cluster.conf.display().to_string();
        cluster.spawn("slurmctld", &["-D", "-i", "-f", &conf])?;
        std::thread::sleep(Duration::from_millis(500));
        for node in ["ppr-n1", "ppr-n2"] {
            cluster.spawn("slurmd", &["-D", "-N", node, "-f", &conf])?;
        }
        cluster.wait_idle()?;
        Ok(cluster)
    }

    fn start_munge(&mut self) -> anyhow::Result<()> {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let munge = self.dir.join("munge");
        fs::set_permissions(&munge, fs::Permissions::from_mode(0o700))?;
        let mut key = vec![0; 1024];
        fs::File::open("/dev/urandom")
            .and_then(|mut random| std::io::Read::read_exact(&mut random, &mut key))
            .context("reading a munge key from /dev/urandom")?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(munge.join("key"))?;
        std::io::Write::write_all(&mut file, &key)?;
        let path = |name: &str| format!("{}", munge.join(name).display());
        self.spawn(
            "munged",
            &[
                "-F",
                "--force",
                &format!("--socket={}", path("sock")),
                &format!("--key-file={}", path("key")),
                &format!("--pid-file={}", path("pid")),
                &format!("--log-file={}", path("log")),
                &format!("--seed-file={}", path("seed")),
            ],
        )?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !munge.join("sock").exists() {
            ensure!(Instant::now() < deadline, "munged did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    fn config(&self) -> anyhow::Result<String> {
        let d = self.dir.display();
        let (ctld, slurmd) = (free_port()?, free_port()?);
        let (n1, n2) = (free_port()?, free_port()?);
        // Nodes claim 8 CPUs and 4 GB (config_overrides) so that the scripts'
        // own --cpus-per-task=8 and --mem=2G run unchanged on a small machine.
        let node = |name: &str, port: u16| {
            format!(
                "NodeName={name} NodeHostname=localhost NodeAddr=127.0.0.1 \
                 Port={port} CPUs=8 RealMemory=4096 State=UNKNOWN\n"
            )
        };
        Ok(format!(
            "ClusterName=ppr\nSlurmctldHost=localhost\nSlurmctldPort={ctld}\n\
             SlurmdPort={slurmd}\nAuthType=auth/munge\nCredType=cred/munge\n\
             AuthInfo=socket={d}/munge/sock\nSlurmUser=root\nSlurmdUser=root\n\
             StateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool/%n\n\
             SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd-%n.pid\n\
             SlurmctldLogFile={d}/log/slurmctld.log\n\
             SlurmdLogFile={d}/log/slurmd-%n.log\n\
             ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n\
             JobAcctGatherType=jobacct_gather/none\n\
             AccountingStorageType=accounting_storage/none\n\
             SchedulerType=sched/backfill\nSelectType=select/cons_tres\n\
             SelectTypeParameters=CR_Core\nReturnToService=2\n\
             SlurmdParameters=config_overrides\nMpiDefault=none\n\
             InactiveLimit=0\nKillWait=2\nMinJobAge=600\n{}{}\
             PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            node("ppr-n1", n1),
            node("ppr-n2", n2),
        ))
    }

    fn spawn(&mut self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let log = fs::File::create(
            self.dir
                .join(format!("log/{program}-{}.out", self.daemons.len())),
        )?;
        let child = Command::new(program)
            .args(args)
            .env("SLURM_CONF", &self.conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {program}"))?;
        self.daemons.push((program.to_owned(), child));
        Ok(())
    }

    /// A Slurm client command (or any command) for this cluster, in the jobs
    /// directory, with the sweep's environment.
    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("SLURM_CONF", &self.conf)
            .env("BIN", &self.bin)
            .current_dir(self.dir.join("jobs"));
        command
    }

    fn output(
        &self,
        mut command: Command,
    ) -> anyhow::Result<(bool, String, String)> {
        let out = command.output().context("running a Slurm command")?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_owned();
        Ok((out.status.success(), text(&out.stdout), text(&out.stderr)))
    }

    fn wait_idle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut sinfo = self.command("sinfo");
            sinfo.args(["-h", "-N", "-o", "%T"]);
            let (_, states, _) = self.output(sinfo)?;
            if states.lines().filter(|s| *s == "idle").count() == 2 {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the nodes never became idle (sinfo: {states:?}); see {}/log",
                    self.dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Submits `script` with `extra` sbatch flags and `env`; the job id.
    fn submit(
        &self,
        script: &str,
        extra: &[&str],
        env: &[(&str, String)],
    ) -> anyhow::Result<String> {
        let mut sbatch = self.command("sbatch");
        sbatch
            .arg("--parsable")
            .args(extra)
            .arg(self.scripts.join(script));
        sbatch.envs(env.iter().map(|(k, v)| (k, v)));
        let (ok, id, err) = self.output(sbatch)?;
        ensure!(ok, "sbatch {script} failed: {err}");
        Ok(id)
    }

    /// Waits until job `id` (all its array tasks) has left the queue.
    fn wait(&self, id: &str) -> anyhow::Result<Duration> {
        let started = Instant::now();
        loop {
            let mut squeue = self.command("squeue");
            squeue.args(["-h", "-j", id, "-o", "%i"]);
            let (_, queued, _) = self.output(squeue)?;
            if queued.is_empty() {
                return Ok(started.elapsed());
            }
            if started.elapsed() > JOB_TIMEOUT {
                let _ = self.command("scancel").arg(id).status();
                bail!("job {id} still queued or running after {JOB_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The final state of job `id`'s tasks, e.g. `["COMPLETED"]`.
    fn states(&self, id: &str) -> anyhow::Result<Vec<String>> {
        let mut scontrol = self.command("scontrol");
        scontrol.args(["show", "job", id]);
        let (_, text, _) = self.output(scontrol)?;
        Ok(text
            .split_whitespace()
            .filter_map(|field| field.strip_prefix("JobState="))
            .map(str::to_owned)
            .collect())
    }

    /// `bash sweep.sbatch merge --output FILE` with `env`: (success, stdout,
    /// stderr), and the merged results if it succeeded.
    fn merge(
        &self,
        env: &[(&str, String)],
        output: &Path,
    ) -> anyhow::Result<(bool, String, String)> {
        let mut bash = self.command("bash");
        bash.arg(self.scripts.join("sweep.sbatch"))
            .arg("merge")
            .arg("--output")
            .arg(output);
        bash.envs(env.iter().map(|(k, v)| (k, v)));
        self.output(bash)
    }

    /// The serial results of `sweep`: one shard of one, one thread, merged.
    fn serial(&self, sweep: &str) -> anyhow::Result<Vec<u8>> {
        let name: String =
            sweep.chars().filter(char::is_ascii_alphanumeric).collect();
        let dir = self.dir.join(format!("serial-{name}"));
        let output = self.dir.join(format!("serial-{name}.json"));
        let flags: Vec<&str> = sweep.split_whitespace().collect();
        for args in [
            vec!["shard", "--shard", "0/1", "--jobs", "1"],
            vec![
                "merge",
                "--shards",
                "1",
                "--output",
                output.to_str().unwrap_or_default(),
            ],
        ] {
            let mut command = self.command(self.bin.to_str().unwrap_or_default());
            command.args(args).arg("--results").arg(&dir).args(&flags);
            let (ok, _, err) = self.output(command)?;
            ensure!(ok, "the serial run failed: {err}");
        }
        Ok(fs::read(output)?)
    }

    fn results_env(
        &self,
        name: &str,
        sweep: &str,
        shards: u64,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("RESULTS", self.dir.join(name).display().to_string()),
            ("SWEEP", sweep.to_owned()),
            ("SHARDS", shards.to_string()),
        ]
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Jobs first (their processes belong to the slurmd), then daemons.
        if !self.daemons.is_empty() {
            let _ = self.command("scancel").args(["--user", "root"]).output();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                let mut squeue = self.command("squeue");
                squeue.args(["-h", "-o", "%i"]);
                match self.output(squeue) {
                    Ok((true, queued, _)) if queued.is_empty() => break,
                    Ok((true, _, _)) => {
                        std::thread::sleep(Duration::from_millis(100))
                    }
                    _ => break,
                }
            }
        }
        for (name, child) in self.daemons.iter_mut().rev() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none()
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(50));
            }
            if child.try_wait().ok().flatten().is_none() {
                eprintln!("slurm: {name} ({pid}) ignored SIGTERM: killing it");
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        // slurmstepd and job processes detach from slurmd: find them by the
        // SLURM_CONF they inherited, give them time to finish, then kill.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut left = processes_of(&self.conf);
        while !left.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
            left = processes_of(&self.conf);
        }
        for pid in left {
            eprintln!(
                "slurm: process {pid} of the test cluster still running: killing it"
            );
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
        if self.added_hosts
            && let Ok(hosts) = fs::read_to_string("/etc/hosts")
        {
            let kept: Vec<&str> =
                hosts.lines().filter(|l| *l != HOSTS_LINE).collect();
            let _ = fs::write("/etc/hosts", kept.join("\n") + "\n");
        }
    }
}

/// The pids of running processes started by the cluster configured in
/// `conf` (they have it in their environment).
fn processes_of(conf: &Path) -> Vec<String> {
    let want = format!("SLURM_CONF={}", conf.display());
    let Ok(items) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    items
        .flatten()
        .filter_map(|item| {
            let pid = item.file_name().to_string_lossy().into_owned();
            pid.parse::<u32>().ok()?;
            let environ = fs::read(item.path().join("environ")).ok()?;
            let ours = environ.split(|b| *b == 0).any(|v| v == want.as_bytes());
            let stat = fs::read_to_string(item.path().join("stat")).ok()?;
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, r)| r.trim().starts_with('Z'));
            (ours && !zombie).then_some(pid)
        })
        .collect()
}

fn check(
    what: &str,
    ok: bool,
    detail: impl std::fmt::Display,
) -> anyhow::Result<()> {
    ensure!(ok, "{what}: {detail}");
    eprintln!("slurm: ok: {what}");
    Ok(())
}

/// 1. `sbatch sweep.sbatch` as written, then `merge`: equal to serial.
fn full_array(c: &Cluster, serial: &[u8]) -> anyhow::Result<()> {
    let env = c.results_env("full", PI_SWEEP, 4);
    let id = c.submit("sweep.sbatch", &[], &env)?;
    let took = c.wait(&id)?;
    let output = c.dir.join("full.json");
    let (ok, _, err) = c.merge(&env, &output)?;
    ensure!(ok, "merge after the full array failed: {err}");
    check(
        &format!("full array (4 tasks, {took:.1?}) merged equals serial"),
        fs::read(&output)? == serial,
        "the merged results differ",
    )
}

/// 2. Cancel task 2; merge names it and prints the command; run it as printed.
fn cancelled_task_resubmitted(c: &Cluster) -> anyhow::Result<()> {
    let sweep = "--workload sleep --size 4 --scale 0.5";
    let serial = c.serial(sweep)?;
    let env = c.results_env("cancelled", sweep, 4);
    let id = c.submit("sweep.sbatch", &[], &env)?;
    let mut scancel = c.command("scancel");
    scancel.arg(format!("{id}_2"));
    let (ok, _, err) = c.output(scancel)?;
    ensure!(ok, "scancel {id}_2 failed: {err}");
    c.wait(&id)?;
    let output = c.dir.join("cancelled.json");
    let (ok, printed, err) = c.merge(&env, &output)?;
    ensure!(!ok, "merge succeeded although task 2 was cancelled");
    check(
        "merge names the cancelled shard",
        err.contains("shard 2/4"),
        &err,
    )?;
    let expected = format!(
        "sbatch --array=2 {}",
        c.scripts.join("sweep.sbatch").display()
    );
    check(
        "merge prints the resubmission",
        printed == expected,
        &printed,
    )?;
    let mut shell = c.command("sh");
    shell
        .arg("-c")
        .arg(&printed)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let (ok, submitted, err) = c.output(shell)?;
    ensure!(ok, "the printed command failed: {err}");
    let again = submitted.rsplit(' ').next().unwrap_or_default().to_owned();
    c.wait(&again)?;
    let (ok, _, err) = c.merge(&env, &output)?;
    ensure!(ok, "merge after the resubmission failed: {err}");
    check(
        "resubmitting exactly the printed ids completes the sweep",
        fs::read(&output)? == serial,
        "the merged results differ from serial",
    )
}

/// 3. `--array=1,3` runs shards 1 and 3 of 4; the rest completes it.
fn list_resubmission(c: &Cluster, serial: &[u8]) -> anyhow::Result<()> {
    let env = c.results_env("list", PI_SWEEP, 4);
    let id = c.submit("sweep.sbatch", &["--array=1,3"], &env)?;
    c.wait(&id)?;
    let states = c.states(&id)?;
    check(
        "--array=1,3 runs",
        states.iter().all(|s| s == "COMPLETED"),
        format!("{states:?}"),
    )?;
    let output = c.dir.join("list.json");
    let (ok, printed, err) = c.merge(&env, &output)?;
    let named = !ok && err.contains("shard 0/4") && err.contains("shard 2/4");
    check(
        "--array=1,3 ran exactly shards 1 and 3",
        named && !err.contains("shard 1/4") && !err.contains("shard 3/4"),
        &err,
    )?;
    ensure!(
        printed.starts_with("sbatch --array=0,2 "),
        "merge printed {printed:?}"
    );
    let id = c.submit("sweep.sbatch", &["--array=0,2"], &env)?;
    c.wait(&id)?;
    let (ok, _, err) = c.merge(&env, &output)?;
    ensure!(ok, "merge failed: {err}");
    check(
        "list resubmissions complete the sweep",
        fs::read(&output)? == serial,
        "results differ",
    )
}

/// 4. `timely.sbatch` on 2 nodes, and as 2 tasks on 1 node: equal to serial.
fn timely_two_nodes(c: &Cluster, serial: &[u8]) -> anyhow::Result<()> {
    timely_equals_serial(c, serial, "2 nodes", &["--nodes=2"])?;
    let one_node = ["--nodes=1", "--ntasks-per-node=2", "--cpus-per-task=4"];
    timely_equals_serial(c, serial, "2 tasks on 1 node", &one_node)
}

fn timely_equals_serial(
    c: &Cluster,
    serial: &[u8],
    shape: &str,
    flags: &[&str],
) -> anyhow::Result<()> {
    let output = c
        .dir
        .join(format!("timely-{}.json", shape.replace(' ', "-")));
    let env = vec![
        ("SWEEP", PI_SWEEP.to_owned()),
        ("OUTPUT", output.display().to_string()),
    ];
    let id = c.submit("timely.sbatch", flags, &env)?;
    let took = c.wait(&id)?;
    let states = c.states(&id)?;
    ensure!(
        states == ["COMPLETED"],
        "timely job {id}: {states:?}; see {}/jobs",
        c.dir.display()
    );
    check(
        &format!("timely job on {shape} ({took:.1?}) equals serial"),
        fs::read(&output)? == serial,
        "results differ",
    )
}

/// The pid of rank `rank` of job `id`'s timely step, if it is running.
fn task_pid(job: &str, rank: u32) -> Option<String> {
    let want_job = format!("SLURM_JOB_ID={job}");
    let want_rank = format!("SLURM_PROCID={rank}");
    fs::read_dir("/proc").ok()?.flatten().find_map(|item| {
        let pid = item.file_name().to_string_lossy().into_owned();
        pid.parse::<u32>().ok()?;
        let cmdline = fs::read(item.path().join("cmdline")).ok()?;
        let is_worker = cmdline.split(|b| *b == 0).any(|arg| arg == b"worker");
        let environ = fs::read(item.path().join("environ")).ok()?;
        let vars: Vec<&[u8]> = environ.split(|b| *b == 0).collect();
        let has = |want: &str| vars.contains(&want.as_bytes());
        (is_worker && has(&want_job) && has(&want_rank)).then_some(pid)
    })
}

/// 5. Kill rank 1 of a running timely job: the job fails, soon, saying why.
fn killed_peer(c: &Cluster) -> anyhow::Result<()> {
    let output = c.dir.join("lost.json");
    let env = vec![
        ("SWEEP", "--workload sleep --size 8 --scale 1".to_owned()),
        ("OUTPUT", output.display().to_string()),
        ("PEER_TIMEOUT", "5".to_owned()),
    ];
    let id = c.submit("timely.sbatch", &["--nodes=2"], &env)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = loop {
        if let Some(pid) = task_pid(&id, 1) {
            break pid;
        }
        ensure!(
            Instant::now() < deadline,
            "rank 1 of job {id} never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_secs(1)); // connected and computing
    let status = Command::new("kill").args(["-KILL", &pid]).status()?;
    ensure!(status.success(), "kill -KILL {pid} failed");
    let took = c.wait(&id)?;
    let states = c.states(&id)?;
    let log = fs::read_to_string(c.dir.join(format!("jobs/pi-timely-{id}.out")))?;
    let clear = log.contains("error: process 0: lost process 1 (ppr-n2:")
        && !log.contains("panicked");
    check(
        "a killed peer fails the job",
        states == ["FAILED"],
        format!("{states:?}"),
    )?;
    check("with one clear error naming it", clear, &log)?;
    check(
        &format!("within {LOST_PEER_BOUND:?} (took {took:.1?} from the kill)"),
        took < LOST_PEER_BOUND,
        "too slow",
    )
}
