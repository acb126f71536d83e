# RMM and EL3 instructions per RMI command (scripts/qemu/rmi-costs-plot.py):
# one bar per command at the size the fault path uses, stacked by world
# (EL3, RMM at R-EL2), counted under QEMU; a diamond marks the same
# command's count on TF-RMM's x86 host build (tfrmm-n1), where there is
# one. Data: rmi_costs.dat: command, el3, rmm, x86.
load plotsdir.'/common.gp'
set datafile columnheaders
set title figtitle font ',13'
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb '#333333'
set boxwidth 0.7
set xtics rotate by -30 left
set ylabel 'instructions per call'
set yrange [0:*]
set bmargin 9
set key inside left top vertical Left reverse samplen 1.5
plot for [c=2:3] datadir.'/rmi_costs.dat' using c:xtic(1) title columnheader(c) lc c - 1, \
     datadir.'/rmi_costs.dat' using ($0):4 with points pt 13 ps 2 lc rgb '#CC3311' \
     title 'TF-RMM x86 host build, RMM only (tfrmm-n1)'
set output
