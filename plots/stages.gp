# Figure 1: per-stage stacked means, one bar per configuration, one panel
# per host page size (4 KiB and 2 MiB faults differ by orders of magnitude).
# Extra variables: pages ('4K 2M'), nstages (stage columns; unattributed is
# the last), stageidx (each column's stage number, so a stage keeps its
# colour whichever stages a run has), vcpus. Data: stages_<page>.dat: config, one column per stage
# (mean us over the faults up to the run's p99 whole fault, 0 where the
# stage did not occur), fault_mean (the same faults' mean whole fault).
# Means, not medians: a fault's stages add up to its total, so the stacked
# means add up to the mean whole fault (the dot) whatever the mix of kinds.
load plotsdir.'/common.gp'
np = words(pages)
set datafile columnheaders
# Panels share the left 80 % of the canvas; the key sits in the rest.
set multiplot layout 1, np title figtitle."\nbars: per-stage means over the faults up to the p99 whole fault (0 where a stage did not occur), stacked; dot: their mean whole fault" font ',13' margins 0.06, 0.80, 0.22, 0.88 spacing 0.07
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb '#333333'
set boxwidth 0.7
set xtics rotate by -30 left
set ylabel 'mean time per fault (us)'
set yrange [0:*]
set offsets 0, 0, graph 0.10, 0
set bmargin 9
do for [i=1:np] {
    p = word(pages, i)
    f = datadir.'/stages_'.p.'.dat'
    set title p.' host pages'
    if (i == np) {
        set key at screen 0.82, 0.88 top left vertical Left reverse samplen 1.5
    } else {
        unset key
    }
    if (i > 1) { unset label 999 }
    plot for [c=2:nstages] f using c:xtic(1) title columnheader(c) \
             lc rgb word(palette, int(word(stageidx, c - 1))), \
         f using nstages+1 title columnheader(nstages + 1) lc rgb unattributed_colour \
             fs pattern 4 border rgb '#333333', \
         f using 0:nstages+2 with points pt 7 ps 1.3 lc rgb 'black' title 'whole fault (mean)', \
         f using 0:nstages+2:(sprintf('%.1f', column(nstages + 2))) with labels \
             offset 0, 1 font ',9' notitle
}
unset multiplot
set output
