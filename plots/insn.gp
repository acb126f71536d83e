# Emulated instructions per fault by world (rme-bench insn merge): one bar
# per configuration, realm next to normal of the same pattern, stacked by
# exception level and security state (each segment is that world's median
# over the faults), one panel per host page size. Extra variable: pages
# ('4K 2M'). Data: insn_<page>.dat: config, el0_ns el1_ns el2_ns el0_realm
# el1_realm el2_realm el3_root.
load plotsdir.'/common.gp'
np = words(pages)
set datafile columnheaders
set multiplot layout 1, np title figtitle."\nsegments: median instructions per fault of each world (guest EL1, host kernel EL2, host EL0, RMM R-EL2, EL3)" font ',13' margins 0.07, 0.86, 0.22, 0.88 spacing 0.08
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb '#333333'
set boxwidth 0.7
set xtics rotate by -30 left
set ylabel 'instructions per fault (median)'
set yrange [0:*]
set bmargin 9
do for [i=1:np] {
    p = word(pages, i)
    set title p.' host pages'
    if (i == np) {
        set key at screen 0.87, 0.88 top left vertical Left reverse samplen 1.5
    } else {
        unset key
    }
    if (i > 1) { unset label 999 }
    plot for [c=2:8] datadir.'/insn_'.p.'.dat' using c:xtic(1) title columnheader(c) lc c - 1
}
unset multiplot
set output
