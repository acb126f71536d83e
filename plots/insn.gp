# Emulated instructions per fault by world (rme-bench insn merge): one bar
# per configuration, realm next to normal of the same pattern, stacked by
# exception level and security state (each segment is that world's median
# over the faults). Data: insn.dat: config, el0_ns el1_ns el2_ns el0_realm
# el1_realm el2_realm el3_root.
load plotsdir.'/common.gp'
set datafile columnheaders
set title figtitle."\nsegments: median instructions per fault of each world (guest EL1, host kernel EL2, host EL0, RMM R-EL2, EL3)" font ',13'
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb '#333333'
set boxwidth 0.7
set xtics rotate by -30 left
set ylabel 'instructions per fault (median)'
set yrange [0:*]
set bmargin 9
set key outside right top vertical Left reverse samplen 1.5
plot for [c=2:8] datadir.'/insn.dat' using c:xtic(1) title columnheader(c) lc c - 1
set output
