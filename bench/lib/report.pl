#!/usr/bin/perl
# Summaries, Markdown and gnuplot charts for the pgstreamx bench harness.
#
#   report.pl results RESULTS_DIR
#       reads runs.csv, latency.csv, bloat.csv, meta.env, settings.csv, tests.tsv,
#       bloat.tsv; writes summary.csv, report.md, throughput.png, bloat.png there.
#   report.pl docs PUBLISHED_DIR DOCS_DIR
#       PUBLISHED_DIR/<profile>/ holds the CSVs of the last published run of each
#       profile (durable, async); writes DOCS_DIR/benchmarks.md and
#       DOCS_DIR/bench-[async-]{throughput,bloat}.png.
#
# Numbers: every figure is the median over the repetitions of a (test, clients)
# pair, shown with its min-max. A ratio is computed per repetition (candidate
# run / its baseline run of the same repetition and client count; the harness
# interleaves them) and the median of those paired ratios is shown.
use strict;
use warnings;
use File::Basename qw(dirname basename);
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use List::Util qw(min max sum);
use Text::ParseWords qw(parse_line);

my $cmd = shift // die "usage: report.pl results DIR | docs PUBLISHED_DIR DOCS_DIR\n";
if ($cmd eq 'results') {
    my $dir = shift // die "results DIR\n";
    my $r = load_run($dir);
    write_summary_csv($r, "$dir/summary.csv");
    plot_throughput($r, "$dir/throughput.png");
    plot_bloat($r, "$dir/bloat.png");
    open(my $fh, '>', "$dir/report.md") or die "$dir/report.md: $!";
    print $fh "# Bench run $r->{meta}{run_id}\n\n", render_profile($r, 'throughput.png', 'bloat.png', 2);
    close $fh;
    print_console($r);
} elsif ($cmd eq 'docs') {
    my ($pub, $docs) = @ARGV;
    die "docs PUBLISHED_DIR DOCS_DIR\n" unless defined $docs;
    write_docs($pub, $docs);
} else {
    die "unknown command $cmd\n";
}
exit 0;

# ------------------------------------------------------------------ loading
sub read_csv {
    my ($file) = @_;
    return [] unless -f $file;
    open(my $fh, '<', $file) or die "$file: $!";
    my $hdr = <$fh>;
    return [] unless defined $hdr;
    chomp $hdr;
    my @cols = split /,/, $hdr;
    my @rows;
    while (my $l = <$fh>) {
        chomp $l;
        next if $l eq '';
        my @v = parse_line(',', 0, $l);
        my %h;
        @h{@cols} = @v;
        push @rows, \%h;
    }
    close $fh;
    return \@rows;
}

sub read_tsv {
    my ($file, @cols) = @_;
    my @rows;
    return \@rows unless -f $file;
    open(my $fh, '<', $file) or die "$file: $!";
    while (my $l = <$fh>) {
        chomp $l;
        next if $l =~ /^\s*(#|$)/;
        my @v = split /\t/, $l;
        my %h;
        @h{@cols} = @v;
        push @rows, \%h;
    }
    close $fh;
    return \@rows;
}

sub load_run {
    my ($dir) = @_;
    my %meta;
    if (open(my $fh, '<', "$dir/meta.env")) {
        while (<$fh>) { chomp; $meta{$1} = $2 if /^([a-z_0-9]+)=(.*)$/ }
        close $fh;
    }
    my @settings;
    if (open(my $fh, '<', "$dir/settings.csv")) {
        while (<$fh>) { chomp; my ($k, $v) = split /,/, $_, 2; push @settings, [$k, $v] }
        close $fh;
    }
    my $tests = read_tsv("$dir/tests.tsv", qw(id status kind msgs fixture baseline target est_rate label));
    my $r = {
        dir      => $dir,
        meta     => \%meta,
        settings => \@settings,
        tests    => $tests,
        runs     => read_csv("$dir/runs.csv"),
        latency  => read_csv("$dir/latency.csv"),
        bloat    => read_csv("$dir/bloat.csv"),
        btargets => read_tsv("$dir/bloat.tsv", qw(id status label settings)),
    };
    $r->{summary} = summarise($r);
    return $r;
}

# ------------------------------------------------------------------ statistics
sub median {
    my @v = sort { $a <=> $b } @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub summarise {
    my ($r) = @_;
    my (%by, %runs_of);    # key test|clients -> rep -> run
    for my $x (@{ $r->{runs} }) {
        next unless $x->{status} eq 'ok' || $x->{status} eq 'mismatch';
        $by{"$x->{test}|$x->{clients}"}{ $x->{rep} } = $x;    # a repeated (refilled) run replaces the dry one
    }
    my @clients = split ' ', ($r->{meta}{clients} // '1 4');
    my @out;
    for my $t (grep { $_->{status} eq 'on' } @{ $r->{tests} }) {
        for my $c (@clients) {
            my $reps = $by{"$t->{id}|$c"} or next;
            my @rs = sort { $a <=> $b } keys %$reps;
            my @rate = map { $reps->{$_}{msgs_per_s} } @rs;
            my @cpu  = map { $reps->{$_}{cpu_us_per_msg} } @rs;
            my @wal  = map { $reps->{$_}{wal_bytes_per_msg} } @rs;
            my $s = {
                test => $t->{id}, label => $t->{label}, clients => $c, n => scalar @rs,
                baseline => $t->{baseline}, target => $t->{target},
                rate_med => median(@rate), rate_min => min(@rate), rate_max => max(@rate),
                cpu_med => median(@cpu), cpu_min => min(@cpu), cpu_max => max(@cpu),
                wal_med => median(@wal), wal_min => min(@wal), wal_max => max(@wal),
                mismatches => scalar(grep { $reps->{$_}{status} eq 'mismatch' } @rs),
                kind => $t->{kind},
            };
            # depth before -> after of the repetition closest to the median rate
            my ($mrep) = sort { abs($reps->{$a}{msgs_per_s} - $s->{rate_med}) <=> abs($reps->{$b}{msgs_per_s} - $s->{rate_med}) } @rs;
            $s->{depth_before} = $reps->{$mrep}{depth_before};
            $s->{depth_after}  = $reps->{$mrep}{depth_after};
            $s->{depth_after_min} = min(map { $reps->{$_}{depth_after} } @rs);
            if ($t->{baseline} ne '-' and my $b = $by{"$t->{baseline}|$c"}) {
                my (@ratio, @cratio);
                for my $rep (@rs) {
                    next unless $b->{$rep};
                    push @ratio, $reps->{$rep}{msgs_per_s} / $b->{$rep}{msgs_per_s} if $b->{$rep}{msgs_per_s} > 0;
                    push @cratio, $reps->{$rep}{cpu_us_per_msg} / $b->{$rep}{cpu_us_per_msg} if $b->{$rep}{cpu_us_per_msg} > 0;
                }
                if (@ratio) {
                    @$s{qw(ratio_med ratio_min ratio_max)} = (median(@ratio), min(@ratio), max(@ratio));
                    $s->{cpu_ratio_med} = median(@cratio) if @cratio;
                    if ($t->{target} =~ /^>=([0-9.]+)$/) {
                        $s->{met} = $s->{ratio_med} >= $1 ? 'yes' : 'no';
                    }
                }
            }
            push @out, $s;
        }
    }
    return \@out;
}

sub write_summary_csv {
    my ($r, $file) = @_;
    open(my $fh, '>', $file) or die "$file: $!";
    my @c = qw(test clients n rate_med rate_min rate_max baseline ratio_med ratio_min ratio_max target met
               cpu_med cpu_min cpu_max cpu_ratio_med wal_med wal_min wal_max depth_before depth_after
               depth_after_min mismatches);
    print $fh join(',', @c), "\n";
    for my $s (@{ $r->{summary} }) {
        print $fh join(',', map { my $v = $s->{$_} // ''; $v =~ /^-?[0-9]*\.[0-9]+$/ ? sprintf('%.3f', $v) : $v } @c), "\n";
    }
    close $fh;
}

# ------------------------------------------------------------------ formatting
sub k {
    my ($x) = @_;
    return '—' unless defined $x;
    return sprintf('%.2fk', $x / 1000) if $x < 10_000;
    return sprintf('%.1fk', $x / 1000) if $x < 100_000;
    return sprintf('%.0fk', $x / 1000);
}
sub num { my ($x, $d) = @_; defined $x ? sprintf("%.${d}f", $x) : '—' }
sub mb { my ($x) = @_; defined $x && $x ne '' ? sprintf('%.1f', $x / 1048576) : '—' }
sub esc { my ($s) = @_; $s //= ''; $s =~ s/\|/\\|/g; $s }
sub label_of {
    my ($r, $id) = @_;
    for (@{ $r->{tests} }) { return $_->{label} if $_->{id} eq $id }
    return $id;
}
sub depth_str {
    my ($s) = @_;
    return "$s->{depth_before} → $s->{depth_after}";
}

sub render_profile {
    my ($r, $img_tp, $img_bloat, $hl) = @_;
    my $m = $r->{meta};
    my $h = '#' x $hl;
    my $md = '';
    my $sync = '';
    for (@{ $r->{settings} }) { $sync = $_->[1] if $_->[0] eq 'synchronous_commit' }
    $md .= "$h Profile `$m->{profile}` (synchronous_commit = $sync)\n\n";
    $md .= "Run `$m->{run_id}` on $m->{date_utc}: $m->{cores} cores ($m->{cpu_model}), $m->{mem_gib} GiB memory, "
         . "$m->{os}, kernel $m->{kernel}; PostgreSQL $m->{pg_version}, PgQ $m->{pgq_version}, "
         . "pgstreamx $m->{pgstreamx_version} (commit $m->{git_commit}). "
         . "Each figure: median of $m->{reps} interleaved repetitions of $m->{duration_s} s "
         . "(pgbench -M prepared, -j $m->{pgbench_jobs}), min–max in parentheses. "
         . "Load average $m->{loadavg_start} at start, " . ($m->{loadavg_end} // '?') . " at end; "
         . "whole run " . sprintf('%.0f', $m->{elapsed_s} // 0) . " s; checkpoints during the throughput tests: " . ($m->{checkpoints_during_throughput} // '?') . ".\n\n";
    $md .= "Note: $m->{note}\n\n" if ($m->{note} // '') ne '';

    $md .= "$h# Throughput\n\n";
    $md .= "| test | clients | msgs/s | baseline | ratio to baseline | target | met? | server CPU µs/msg | CPU ratio | WAL B/msg | depth before → after |\n";
    $md .= "|---|--:|--:|---|--:|--:|:-:|--:|--:|--:|--:|\n";
    for my $s (@{ $r->{summary} }) {
        my $ratio = defined $s->{ratio_med} ? sprintf('%.2f (%.2f–%.2f)', @$s{qw(ratio_med ratio_min ratio_max)}) : '—';
        my $base = $s->{baseline} eq '-' ? '(baseline)' : "`$s->{baseline}`";
        my $tgt = $s->{target} eq '-' ? '—' : esc($s->{target});
        my $met = $s->{met} // '—';
        my $flag = $s->{mismatches} ? ' ⚠' : '';
        $md .= sprintf("| `%s` %s%s | %s | %s (%s–%s) | %s | %s | %s | %s | %s (%s–%s) | %s | %s | %s |\n",
            $s->{test}, esc($s->{label}), $flag, $s->{clients}, k($s->{rate_med}), k($s->{rate_min}), k($s->{rate_max}),
            $base, $ratio, $tgt, $met, num($s->{cpu_med}, 1), num($s->{cpu_min}, 1), num($s->{cpu_max}, 1),
            defined $s->{cpu_ratio_med} ? sprintf('%.2f', $s->{cpu_ratio_med}) : '—',
            num($s->{wal_med}, 0), depth_str($s));
    }
    $md .= "\n";
    if (grep { $_->{mismatches} } @{ $r->{summary} }) {
        $md .= "⚠: in at least one repetition the depth did not move by exactly the number of messages pgbench counted (see runs.csv).\n\n";
    }
    $md .= "![throughput and ratios]($img_tp)\n\n" if $img_tp;

    if (@{ $r->{latency} }) {
        $md .= "$h# Wake-up latency\n\n";
        $md .= "Measured by `bench/latency/pgx-latency` (not pgbench): time from the sender's `COMMIT` to the waiting call's return. "
             . "\"from ack\" starts when the commit was acknowledged to the sender instead (can be slightly negative).\n\n";
        $md .= "| test | samples | p50 ms | p90 ms | p99 ms | max ms | p50 from ack ms | p99 from ack ms | commit p50 ms |\n";
        $md .= "|---|--:|--:|--:|--:|--:|--:|--:|--:|\n";
        for my $l (@{ $r->{latency} }) {
            if ($l->{status} ne 'ok') { $md .= "| `$l->{test}` " . esc($l->{label}) . " | failed | | | | | | | |\n"; next }
            $md .= sprintf("| `%s` %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", $l->{test}, esc($l->{label}),
                $l->{samples}, map { $_ / 1000 } @$l{qw(p50_us p90_us p99_us max_us p50_from_ack_us p99_from_ack_us commit_p50_us)});
        }
        $md .= "\n";
    }

    if (@{ $r->{bloat} }) {
        my @tg = grep { $_->{status} eq 'on' } @{ $r->{btargets} };
        my %seen;
        @tg = grep { my $id = $_->{id}; grep { $_->{target} eq $id } @{ $r->{bloat} } } @tg;
        $md .= "$h# Bloat over fill/drain cycles\n\n";
        $md .= "Total relation size (heap + indexes + TOAST) after each cycle of "
             . "$m->{bloat_msgs} messages filled, drained and maintained ($m->{bloat_batch} per transaction). MB after fill / after drain + maintenance.\n\n";
        for my $t (@tg) { $md .= "- `$t->{id}` — " . esc($t->{label}) . ": " . esc($t->{settings}) . "\n" }
        $md .= "\n| cycle | " . join(' | ', map { "`$_->{id}` after fill | `$_->{id}` after maint." } @tg) . " |\n";
        $md .= "|--:|" . ('--:|--:|' x @tg) . "\n";
        my %b;
        $b{ $_->{target} }{ $_->{cycle} } = $_ for @{ $r->{bloat} };
        my @cycles = sort { $a <=> $b } keys %{ { map { $_->{cycle} => 1 } @{ $r->{bloat} } } };
        for my $c (@cycles) {
            $md .= "| $c | " . join(' | ', map { my $x = $b{ $_->{id} }{$c}; $x ? (mb($x->{size_after_fill}), mb($x->{size_after_maint})) : ('—', '—') } @tg) . " |\n";
        }
        $md .= "\n";
        $md .= "![bloat series]($img_bloat)\n\n" if $img_bloat;
    }
    return $md;
}

sub print_console {
    my ($r) = @_;
    printf "%-24s %3s %22s %18s %20s %8s\n", 'test', 'c', 'msgs/s med (min-max)', 'ratio (min-max)', 'CPU us/msg (min-max)', 'WAL B/m';
    for my $s (@{ $r->{summary} }) {
        printf "%-24s %3d %22s %18s %20s %8s\n", $s->{test}, $s->{clients},
            sprintf('%s (%s-%s)', k($s->{rate_med}), k($s->{rate_min}), k($s->{rate_max})),
            defined $s->{ratio_med} ? sprintf('%.2f (%.2f-%.2f)', @$s{qw(ratio_med ratio_min ratio_max)}) : '-',
            sprintf('%.1f (%.1f-%.1f)', @$s{qw(cpu_med cpu_min cpu_max)}), num($s->{wal_med}, 0);
    }
}

# ------------------------------------------------------------------ charts
sub gnuplot_run {
    my ($script, $dir) = @_;
    my $f = "$dir/plot.gp";
    open(my $fh, '>', $f) or die "$f: $!";
    print $fh $script;
    close $fh;
    system('gnuplot', $f) == 0 or warn "gnuplot failed on $f\n";
}

sub terminal {
    my ($w, $h) = @_;
    state_terminal() eq 'pngcairo'
        ? "set terminal pngcairo size $w,$h font 'sans,10' noenhanced\n"
        : "set terminal png size $w,$h noenhanced\n";
}
my $TERM;
sub state_terminal {
    return $TERM if defined $TERM;
    my $out = `gnuplot -e "set terminal pngcairo; set output '/dev/null'; plot 1" 2>&1`;
    $TERM = ($? == 0 && $out !~ /unknown|not available/i) ? 'pngcairo' : 'png';
    return $TERM;
}

sub plot_throughput {
    my ($r, $png) = @_;
    my @s = @{ $r->{summary} };
    return unless @s;
    my $tmp = tempdir(CLEANUP => 1);
    my @clients = split ' ', ($r->{meta}{clients} // '1 4');
    my (@tests, %seen);
    for (@s) { push @tests, $_->{test} unless $seen{ $_->{test} }++ }
    my %S = map { ("$_->{test}|$_->{clients}" => $_) } @s;
    open(my $fh, '>', "$tmp/tp.dat") or die;
    for my $t (@tests) {
        print $fh "\"$t\"";
        for my $c (@clients) {
            my $x = $S{"$t|$c"};
            print $fh $x ? " $x->{rate_med} $x->{rate_min} $x->{rate_max}" : " NaN NaN NaN";
        }
        print $fh "\n";
    }
    close $fh;
    my @rt = grep { my $t = $_; grep { defined $S{"$t|$_"} && defined $S{"$t|$_"}{ratio_med} } @clients } @tests;
    open($fh, '>', "$tmp/ratio.dat") or die;
    for my $t (@rt) {
        my ($b) = map { $_->{baseline} } grep { $_->{test} eq $t } @s;
        print $fh "\"$t / $b\"";
        for my $c (@clients) {
            my $x = $S{"$t|$c"};
            print $fh $x && defined $x->{ratio_med} ? " $x->{ratio_med} $x->{ratio_min} $x->{ratio_max}" : " NaN NaN NaN";
        }
        print $fh "\n";
    }
    close $fh;
    my $n = scalar @clients;
    my $gp = terminal(1100, @rt ? 950 : 560);
    $gp .= "set output '$png'\n";
    $gp .= "set multiplot layout 2,1\n" if @rt;
    $gp .= <<"EOF";
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics rotate by -20 scale 0
set bmargin 7
set rmargin 12
set title "$r->{meta}{profile}: msgs/s (median, min-max bars) - $r->{meta}{date_utc}"
set logscale y
set ylabel 'msgs/s (log)'
set yrange [100:*]
plot for [k=0:${\($n-1)}] '$tmp/tp.dat' using (column(2+3*k)):(column(3+3*k)):(column(4+3*k)):xtic(1) title sprintf('clients=%s', word('@clients', k+1))
EOF
    if (@rt) {
        $gp .= <<"EOF";
unset logscale y
set yrange [0:*]
set title 'ratio to baseline (median of per-repetition ratios, min-max bars; 1 = baseline)'
set ylabel 'ratio'
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb '#444444'
plot for [k=0:${\($n-1)}] '$tmp/ratio.dat' using (column(2+3*k)):(column(3+3*k)):(column(4+3*k)):xtic(1) title sprintf('clients=%s', word('@clients', k+1))
unset multiplot
EOF
    }
    gnuplot_run($gp, $tmp);
}

sub plot_bloat {
    my ($r, $png) = @_;
    my @b = @{ $r->{bloat} };
    return unless @b;
    my $tmp = tempdir(CLEANUP => 1);
    my (@tg, %seen);
    for (@b) { push @tg, $_->{target} unless $seen{ $_->{target} }++ }
    open(my $fh, '>', "$tmp/bloat.dat") or die;
    for my $t (@tg) {
        print $fh "# $t\n";
        for my $x (sort { $a->{cycle} <=> $b->{cycle} } grep { $_->{target} eq $t } @b) {
            printf $fh "%d %.3f %.3f\n", $x->{cycle}, $x->{size_after_fill} / 1048576, $x->{size_after_maint} / 1048576;
        }
        print $fh "\n\n";
    }
    close $fh;
    my $gp = terminal(1000, 520);
    my $plots = join(', ', map {
        my $i = $_;
        ("'$tmp/bloat.dat' index $i using 1:3 with linespoints lw 2 pt 7 lc $i+1 title '$tg[$i] after drain+maintenance'",
         "'$tmp/bloat.dat' index $i using 1:2 with linespoints dt 2 pt 6 lc $i+1 title '$tg[$i] after fill'")
    } 0 .. $#tg);
    $gp .= <<"EOF";
set output '$png'
set title "$r->{meta}{profile}: total relation size per fill/drain/maintain cycle of $r->{meta}{bloat_msgs} messages"
set xlabel 'cycle'
set ylabel 'MB (heap + indexes + TOAST)'
set grid
set key outside bottom center horizontal
set xtics 1
set yrange [0:*]
plot $plots
EOF
    gnuplot_run($gp, $tmp);
}

# ------------------------------------------------------------------ docs
sub write_docs {
    my ($pub, $docs) = @_;
    my @profiles = grep { -f "$pub/$_/runs.csv" } qw(durable async);
    die "no published results under $pub\n" unless @profiles;
    my $md = <<'EOF';
# Benchmarks

<!-- Generated by bench/run.sh (bench/lib/report.pl) from bench/results/published/. Do not edit by hand: rerun `make bench`. -->

Every performance claim of pgstreamx is a **ratio against baselines measured in the same
invocation on the same throw-away server**: these machines are shared and noisy, so absolute
msgs/s move between runs while the ratios, and the server CPU time per message, are much
steadier. `make bench` (driving `bench/run.sh`) starts a tuned PostgreSQL 15, installs PgQ and
pgstreamx, and runs pgbench custom scripts (prepared mode) at 1 and 4 clients with ~100-byte JSON
messages. See [bench/README.md](../bench/README.md) for how to run it and how to add a row.

How to read the tables:
- **msgs/s**: median over the repetitions (min–max in parentheses) of pgbench transactions/s
  (excluding connection time) × messages per transaction.
- **ratio to baseline**: per repetition, candidate msgs/s ÷ its baseline's msgs/s in the same
  repetition and client count (runs are interleaved); the median of those ratios (min–max).
  PgQ rows are compared with the raw baseline doing the same job, for reference; pgstreamx
  rows carry the target their issue sets, and **met?** compares the median ratio with it.
- **server CPU µs/msg**: CPU time (user + system) of all server processes — the backends,
  WAL writer, checkpointer, autovacuum… — from /proc before and after the run, ÷ messages.
  It is stable within ~10–15 % on this box, whereas throughput moves 1–50 % with disk latency.
  **CPU ratio** is the same paired ratio on CPU/msg (lower is better).
- **WAL B/msg**: `pg_current_wal_lsn()` difference ÷ messages (no checkpoint runs during the
  measurements, so no full-page images after checkpoints are included).
- **depth before → after**: messages waiting in the test's table/queue before and after the
  repetition closest to the median; consumption tests are pre-filled so they never run dry.

EOF
    my $first;
    for my $p (@profiles) {
        my $r = load_run("$pub/$p");
        $first //= $r;
        my $pre = $p eq 'durable' ? 'bench-' : "bench-$p-";
        plot_throughput($r, "$docs/${pre}throughput.png");
        plot_bloat($r, "$docs/${pre}bloat.png");
        $md .= render_profile($r, "${pre}throughput.png", @{ $r->{bloat} } ? "${pre}bloat.png" : undef, 2);
        $md .= "Raw CSVs: [`bench/results/published/$p/`](../bench/results/published/$p/) "
             . "(runs.csv has every repetition, summary.csv the medians, bloat.csv and latency.csv the series).\n\n";
        $md .= reference_section($r) if $p eq 'durable';
    }
    $md .= "## Server settings\n\n| setting | value |\n|---|---|\n";
    $md .= "| `$_->[0]` | `$_->[1]` |\n" for @{ $first->{settings} };
    $md .= "\nThe `async` profile differs only in `synchronous_commit = off` (fsync stays on). Unix-socket "
         . "connections only; the data directory is on the machine's local disk; the server is initdb'd fresh for "
         . "every run, owned by the unprivileged `postgres` user, and removed afterwards.\n\n";
    $md .= pending_section($first);
    $md .= <<'EOF';
## Reproducing

```sh
make bench                          # durable profile, <= 10 min, rewrites this page
BENCH_PROFILE=async make bench      # synchronous_commit = off, adds its section here
BENCH_QUICK=1 make bench            # smoke run, <= 2 min, results only in bench/results/
```
EOF
    # Sections other scripts append (bench/worker_idle.sh) survive a rewrite.
    if (open(my $old, '<', "$docs/benchmarks.md")) {
        local $/;
        my $prev = <$old>;
        close $old;
        $md .= "\n$1" if defined $prev && $prev =~ /\n(## Background worker idle cost\n.*)\z/s;
    }
    open(my $fh, '>', "$docs/benchmarks.md") or die "$docs/benchmarks.md: $!";
    print $fh $md;
    close $fh;
}

sub reference_section {
    my ($r) = @_;
    # Reference figures quoted in the harness's issue (2 cores, durable commits), to sanity-check
    # the harness, not targets: test => [c=1, c=4].
    my %REFERENCE = (
        raw_insert_1 => [3600, 6000], raw_insert_100 => [108_000, 236_000],
        raw_consume_1 => [2900, 6700], raw_consume_100 => [59_000, 76_000],
        pgq_insert_1 => [2900, 5800], pgq_insert_100 => [44_000, 87_000], pgq_consume_100 => [76_000, 196_000],
    );
    my %S = map { ("$_->{test}|$_->{clients}" => $_) } @{ $r->{summary} };
    my $md = "### Sanity check against earlier reference figures\n\n"
           . "Figures measured earlier on the same kind of machine (2 cores, durable commits), quoted to check that "
           . "the harness measures what it should. They are not targets; absolute rates on these shared machines vary "
           . "with disk latency.\n\n| test | reference c=1 | this run c=1 | reference c=4 | this run c=4 |\n|---|--:|--:|--:|--:|\n";
    for my $t (grep { $REFERENCE{$_} } map { $_->{id} } @{ $r->{tests} }) {
        my ($a, $b) = ($S{"$t|1"}, $S{"$t|4"});
        $md .= sprintf("| `%s` | %s | %s | %s | %s |\n", $t, k($REFERENCE{$t}[0]), $a ? k($a->{rate_med}) : '—',
                       k($REFERENCE{$t}[1]), $b ? k($b->{rate_med}) : '—');
    }
    return "$md\n";
}

sub pending_section {
    my ($r) = @_;
    my $dir = $r->{dir};
    my $bench = dirname(dirname(dirname($dir)));    # bench/results/published/<p> -> bench
    my $md = "## Pending rows\n\nNot measured yet — these pgstreamx features do not exist yet; each row "
           . "is switched on in `bench/tests.tsv` (or its latency/bloat file) by the issue that delivers the feature. "
           . "No numbers are shown until then.\n\n";
    my $all = read_tsv("$bench/tests.tsv", qw(id status kind msgs fixture baseline target est_rate label));
    my @p = grep { $_->{status} eq 'pending' } @$all;
    $md .= "| row | baseline | target |\n|---|---|---|\n" if @p;
    $md .= "| `$_->{id}` " . esc($_->{label}) . " | `$_->{baseline}` | " . ($_->{target} eq '-' ? 'set by its issue' : esc($_->{target})) . " |\n" for @p;
    for my $conf (sort glob("$bench/latency/*.conf")) {
        open(my $fh, '<', $conf) or next;
        my %h;
        while (<$fh>) { $h{$1} = $2 if /^\s*(\w+)\s*=\s*(.*?)\s*$/ }
        close $fh;
        next unless ($h{status} // '') eq 'pending';
        $md .= "| `" . basename($conf, '.conf') . "` " . esc($h{label}) . " (wake-up latency p50/p99) | LISTEN/NOTIFY and 100 ms poll loop | set by its issue |\n";
    }
    my $bt = read_tsv("$bench/bloat.tsv", qw(id status label settings));
    $md .= "| bloat series `$_->{id}` " . esc($_->{label}) . " | raw table, PgQ | flat over the cycles |\n"
        for grep { $_->{status} eq 'pending' } @$bt;
    return "$md\n";
}
